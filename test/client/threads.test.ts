// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules/messages/threads*.test.ts
import t from 'tap'
import { MessageList } from '@relay-im/client/state'
import { groupOfTwo, next, until } from './fixtures.js'

t.test('threads through the SDK: reply, summary event, list, pages, follow, read, and the MessageList keeps thread-only replies out', async (t) => {
  const { ca, cb, g, a, b } = await groupOfTwo(t)
  const root = await ca.send({ conversationId: g, type: 'text', content: 'root' })
  const list = new MessageList(ca, g, { pageSize: 20 })
  t.teardown(() => { list.close() })
  await list.loadOlder()
  await until(() => list.getSnapshot().messages.some((m) => m.id === root.id), 5000, 'the root in the list')

  const summary = next(ca, 'thread:updated', (e) => e.rootId === root.id)
  const reply = await cb.replyInThread(root, { type: 'text', content: 'in the thread' })
  const e = await summary
  t.match(e, { conversationId: g, rootId: root.id, thread: { replyCount: 1, lastReplySeq: reply.seq, lastRepliers: [b.id] } })
  await until(() => list.getSnapshot().messages.find((m) => m.id === root.id)?.thread?.replyCount === 1, 5000, 'the root shows its count')
  const loud = await cb.replyInThread(root, { type: 'text', content: 'to the chat too', alsoInChat: true })
  await until(() => list.getSnapshot().messages.some((m) => m.id === loud.id), 5000, 'the reply also sent to the chat is in the list')
  t.notOk(list.getSnapshot().messages.some((m) => m.id === reply.id), 'the thread-only reply is not')

  const page = await ca.threads(g)
  t.same(page.threads.map((th) => th.rootId), [root.id])
  t.match(page.threads[0], { following: true, unread: 2, replyCount: 2, root: { id: root.id } })
  const replies = await ca.threadMessages(g, root.id, { after: 0 })
  t.same(replies.messages.map((m) => m.id), [reply.id, loud.id], 'oldest first after 0')
  t.equal(replies.root.id, root.id)

  const read = next(cb, 'thread:read', (r) => r.rootId === root.id)
  const state = await ca.markThreadRead(g, root.id, loud.seq)
  t.match(state, { readSeq: loud.seq, unread: 0 })
  t.match(await read, { userId: a.id, seq: loud.seq }, 'the receipt reaches the other member')

  const followed = next(ca, 'thread:followed')
  t.equal((await ca.unfollowThread(g, root.id)).following, false)
  t.same(await followed, { conversationId: g, rootId: root.id, following: false })
  t.equal((await ca.thread(g, root.id)).following, false)
  t.equal((await ca.followThread(g, root.id)).following, true)
})

t.test('a device that was offline gets its thread state from the catch-up sync: thread:state, once', async (t) => {
  const { ca, cb, g } = await groupOfTwo(t)
  const root = await ca.send({ conversationId: g, type: 'text', content: 'root' })
  await cb.replyInThread(root, { type: 'text', content: 'first' })
  await until(async () => (await ca.thread(g, root.id)).replyCount === 1, 5000, 'the first reply')
  // The device must have a rev position for the conversation: a message change it saw live.
  ca.disconnect()
  const states: unknown[] = []
  ca.on('thread:state', (s) => { states.push(s) })
  const reply = await cb.replyInThread(root, { type: 'text', content: 'while a was away' })
  const synced = next(ca, 'synced')
  await ca.connect()
  await synced
  t.match(states, [{ conversationId: g, rootId: root.id, following: true, unread: 2, replyCount: 2, lastReplySeq: reply.seq }], 'the followed thread with its new reply, once')
  ca.socket.io.engine.close()
  await next(ca, 'synced')
  t.equal(states.length, 1, 'not again after the next reconnect')
})
