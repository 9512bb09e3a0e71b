import { useState, type FormEvent } from 'react'
import type { Client, Conversation, Message } from '@relay-im/client'
import { useConnectionState, useConversations, useMessages } from '@relay-im/react'

/** What a message shows as text, whatever its kind. */
function text (m: Message): string {
  if (m.recalled === true) return '(recalled)'
  switch (m.type) {
    case 'text': return m.content
    case 'image': case 'file': return `[${m.type}] ${m.content.name}`
    case 'custom': return '[custom]'
    case 'system': return `(${m.content.event})`
    case 'poll': return `[poll] ${m.content.question}`
  }
}

const title = (c: Conversation): string => c.name ?? c.peer?.displayName ?? c.id

export function App ({ client }: { client: Client }) {
  const status = useConnectionState(client)
  const { conversations, loaded } = useConversations(client)
  const [openId, setOpenId] = useState<string>()
  return (
    <main>
      <p data-testid='status'>{status}</p>
      <ul data-testid='conversations'>
        {!loaded && <li>Loading…</li>}
        {conversations.map((c) => (
          <li key={c.id} data-testid='conversation' data-unread={c.unread ?? 0}>
            <button onClick={() => { setOpenId(c.id) }}>{title(c)}</button>
            {(c.unread ?? 0) > 0 && <b data-testid='unread'> {c.unread}</b>}
            {c.lastMessage !== null && <small data-testid='last'> {text(c.lastMessage)}</small>}
          </li>
        ))}
      </ul>
      {openId !== undefined && <Chat key={openId} client={client} conversationId={openId} />}
    </main>
  )
}

function Chat ({ client, conversationId }: { client: Client, conversationId: string }) {
  const { messages, hasMore, loading, loadOlder } = useMessages(client, conversationId, { pageSize: 20 })
  const [draft, setDraft] = useState('')
  const last = messages.at(-1)

  function submit (e: FormEvent): void {
    e.preventDefault()
    if (draft.trim() === '') return
    void client.send({ conversationId, type: 'text', content: draft })
    setDraft('')
  }

  return (
    <section>
      {hasMore && <button data-testid='older' disabled={loading} onClick={() => { void loadOlder() }}>Older messages</button>}
      <ol data-testid='messages'>
        {messages.map((m) => <li key={m.clientMsgId} data-testid='message' data-seq={m.seq}>{m.sender.displayName}: {text(m)}</li>)}
      </ol>
      {last !== undefined && last.seq > 0 && <button data-testid='read' onClick={() => { void client.markRead(conversationId, last.seq) }}>Mark read</button>}
      <form onSubmit={submit}>
        <input data-testid='draft' value={draft} onChange={(e) => { setDraft(e.target.value) }} />
        <button type='submit'>Send</button>
      </form>
    </section>
  )
}
