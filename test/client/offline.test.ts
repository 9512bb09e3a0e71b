// suite: default only — the SDK's offline layer over its own client; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createClient, type ClientError } from '@relay-im/client'
import { MemoryStorage, OfflineClient, type QueuedOp } from '@relay-im/client/offline'
import type { ListMessage } from '@relay-im/client/state'
import { allMessages, clientFor, group, registerUser, server, until, groupOfTwo } from './fixtures.js'

t.test('local echo: shown at once, then the server copy in its place, never twice', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const g = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a)
  await ca.connect()
  const offline = new OfflineClient(ca, { storage: new MemoryStorage() })
  await offline.start()
  t.teardown(() => offline.close())
  const list = await offline.messages(g)
  t.teardown(() => { list.close() })
  const seen: ListMessage[][] = []
  list.subscribe(() => seen.push([...list.getSnapshot().messages]))

  const echo = await offline.send({ conversationId: g, type: 'text', content: 'hi' })
  t.match(echo, { status: 'sending', seq: 0, senderId: a.id, content: 'hi', conversationId: g })
  t.match(seen[0], [{ status: 'sending', content: 'hi' }], 'the echo is the first thing shown')
  await until(() => list.getSnapshot().messages[0]?.status === undefined, 3000, 'server copy')
  const [m] = list.getSnapshot().messages
  t.match(m, { seq: 1, content: 'hi', clientMsgId: echo!.clientMsgId })
  t.notOk(m!.id.startsWith('local:'))
  t.ok(seen.every((s) => s.length === 1), 'never two copies of it')
  t.ok(seen.some((s) => s[0]?.status === 'sent') || seen.at(-1)?.[0]?.status === undefined, 'sent, then the server copy')
  t.equal(offline.pending.length, 0)
})

t.test('offline: sends, reads, edits and reactions queue in storage and resume in a new client, each message stored once', async (t) => {
  const { srv, a, b, ca, cb, g } = await groupOfTwo(t)
  const mine = await ca.send({ conversationId: g, type: 'text', content: 'tpyo' })
  const theirs = await cb.send({ conversationId: g, type: 'text', content: 'hello a' })
  // A message the last run sent but whose ack it never stored (it stopped first).
  const delivered = randomUUID()
  await ca.send({ conversationId: g, type: 'text', content: 'sent before the crash', clientMsgId: delivered })
  ca.close()

  const storage = new MemoryStorage()
  const first = clientFor(t, srv, a) // never connected: offline
  const offline1 = new OfflineClient(first, { storage })
  await offline1.start()
  const list1 = await offline1.messages(g)
  await offline1.send({ conversationId: g, type: 'text', content: 'one' })
  await offline1.send({ conversationId: g, type: 'text', content: 'two' })
  await offline1.send({ conversationId: g, type: 'text', content: 'sent before the crash', clientMsgId: delivered })
  await offline1.markRead(g, theirs.seq)
  await offline1.edit(mine.id, 'typo')
  await offline1.react(theirs.id, '👍')
  t.same(list1.getSnapshot().messages.map((m) => [m.content, m.status]), [['one', 'sending'], ['two', 'sending'], ['sent before the crash', 'sending']])
  await offline1.close()
  first.close()
  t.same((await storage.get<QueuedOp[]>('outbox'))?.map((o) => o.kind), ['send', 'send', 'send', 'read', 'edit', 'react'], 'the outbox is in storage')

  // A new client with no tokens of its own: they come from storage.
  const second = createClient({ url: srv.url, reconnect: { baseMs: 50, maxMs: 400 } })
  t.teardown(() => { second.close() })
  const offline2 = new OfflineClient(second, { storage })
  await offline2.start()
  t.teardown(() => offline2.close())
  const list2 = await offline2.messages(g)
  t.equal(list2.getSnapshot().messages.filter((m) => m.status === 'sending').length, 3, 'the echoes are back')
  await second.connect()
  await until(() => offline2.pending.length === 0, 10_000, 'outbox drained')

  const stored = await allMessages(srv.app, a, g)
  t.same(stored.map((m) => m.content), ['typo', 'hello a', 'sent before the crash', 'one', 'two'], 'each message once, in order')
  const res = await srv.app.inject({ method: 'GET', url: `/api/conversations/${g}/messages?limit=10`, headers: b.auth })
  const byId = new Map((res.json().messages as Array<{ id: string, editedAt: string | null, reactions: Array<{ emoji: string }> }>).map((m) => [m.id, m]))
  t.ok(byId.get(mine.id)?.editedAt, 'the edit was applied')
  t.same(byId.get(theirs.id)?.reactions.map((r) => r.emoji), ['👍'], 'the reaction was applied')
  const conv = await second.conversation(g)
  t.ok((conv.readSeq ?? 0) >= theirs.seq, 'the read position moved')
  await until(() => list2.getSnapshot().messages.every((m) => m.status !== 'sending'), 3000, 'echoes settled')
  t.same(list2.getSnapshot().messages.filter((m) => m.status !== undefined || m.seq >= 3).map((m) => m.content), ['sent before the crash', 'one', 'two'], 'no duplicates in the list')
})

t.test('a refused send is failed until retried or discarded; storage keeps recent messages and cursors', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const g = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a)
  await ca.connect()
  const storage = new MemoryStorage()
  const offline = new OfflineClient(ca, { storage, recentMessages: 2 })
  await offline.start()
  t.teardown(() => offline.close())
  const refused: Array<[QueuedOp, ClientError]> = []
  offline.onFailed((op, err) => refused.push([op, err]))

  const nowhere = randomUUID()
  const list = await offline.messages(nowhere)
  const echo = await offline.send({ conversationId: nowhere, type: 'text', content: 'lost' })
  await until(() => list.getSnapshot().messages[0]?.status === 'failed', 3000, 'failed')
  t.equal(refused.length, 1)
  t.match(refused[0]?.[1], { code: /NOT_FOUND|FORBIDDEN/ })
  t.equal(offline.pending.length, 1, 'kept for a retry')
  await offline.discard(echo!.clientMsgId)
  t.equal(offline.pending.length, 0)
  t.same(list.getSnapshot().messages, [], 'gone from the list')

  for (const text of ['a', 'b', 'c']) await offline.send({ conversationId: g, type: 'text', content: text })
  await until(() => offline.pending.length === 0, 3000, 'sent')
  await until(async () => { await offline.flush(); return (await storage.get<unknown[]>(`messages:${g}`))?.length === 2 }, 3000, 'stored')
  t.same((await storage.get<Array<{ content: string }>>(`messages:${g}`))?.map((m) => m.content), ['b', 'c'], 'the newest, capped')
  t.same((await storage.get<{ seqs: Record<string, number> }>('cursors'))?.seqs, { [g]: 3 }, 'cursors stored')
  t.ok((await storage.get<{ accessToken?: string }>('tokens'))?.accessToken, 'tokens stored')
})
