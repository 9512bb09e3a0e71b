// suite: default only — compile-time checks of the SDK's types; no server involved
/**
 * `Message` and `SendInput` narrow on `type`. The checks below are compile-time: `tsc --noEmit`
 * (and so CI) fails when a narrowing is lost, or when a `@ts-expect-error` line starts to
 * compile. The runtime assertions only keep tap counting the file.
 */
import t from 'tap'
import type { Attachment, Message, MessageContentMap, MessageType, SendInput, SystemContent } from '@relay-im/client'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
const expectType = <T extends true>(_ok: T): void => {}

function describe (m: Message): string {
  if (m.recalled === true) {
    expectType<Equal<typeof m.content, null>>(true)
    return 'recalled'
  }
  switch (m.type) {
    case 'text': return m.content.toUpperCase()
    case 'image': return `${m.content.url} ${m.content.width ?? 0}x${m.content.height ?? 0}`
    case 'file': return `${m.content.name} (${m.content.size} bytes)`
    case 'custom': return Object.keys(m.content).join(',')
    case 'system': return m.content.event
    case 'poll': return `${m.content.question}: ${m.content.options.join(' / ')}`
  }
}

// A recalled message keeps its kind but not its content: the check comes first.
function urlOf (m: Message): string | undefined {
  if (m.type === 'image') expectType<Equal<typeof m.content, Attachment | null>>(true)
  return !m.recalled && m.type === 'image' ? m.content.url : undefined
}

expectType<Equal<MessageType, keyof MessageContentMap>>(true)
expectType<Equal<MessageContentMap['image'], Attachment>>(true)
expectType<Equal<MessageContentMap['system'], SystemContent>>(true)

const image: Attachment = { url: '/api/uploads/u1', name: 'cat.png', size: 10, mime: 'image/png' }
const valid: SendInput[] = [
  { conversationId: 'c', type: 'text', content: 'hi' },
  { conversationId: 'c', type: 'image', content: image },
  { toUserId: 'u', type: 'file', content: image },
  { conversationId: 'c', type: 'custom', content: { card: 1 } },
  { conversationId: 'c', forwardOf: 'm1' }
]
const invalid: SendInput[] = [
  // @ts-expect-error an image's content is an attachment
  { conversationId: 'c', type: 'image', content: 'x' },
  // @ts-expect-error a text's content is a string
  { conversationId: 'c', type: 'text', content: { text: 'hi' } },
  // @ts-expect-error system messages are written by the server only
  { conversationId: 'c', type: 'system', content: { event: 'renamed', actorId: 'u' } },
  // @ts-expect-error a forward copies type and content from the original
  { conversationId: 'c', forwardOf: 'm1', type: 'text', content: 'hi' }
]

t.test('messages narrow on type', async (t) => {
  const base = {
    id: 'm', conversationId: 'c', seq: 1, senderId: 'u', sender: { id: 'u', username: 'u', displayName: 'U', avatarUrl: null },
    clientMsgId: 'k', createdAt: '', rev: 1, editedAt: null, replyTo: null, mentions: [], reactions: [], forwardedFrom: null, pinnedAt: null, pinnedBy: null
  }
  t.equal(describe({ ...base, type: 'image', content: image }), '/api/uploads/u1 0x0')
  t.equal(describe({ ...base, type: 'text', content: 'hi' }), 'HI')
  t.equal(describe({ ...base, type: 'image', content: null, recalled: true }), 'recalled')
  t.equal(urlOf({ ...base, type: 'image', content: image }), image.url)
  t.equal(urlOf({ ...base, type: 'image', content: null, recalled: true }), undefined)
  t.equal(valid.length + invalid.length, 9)
})
