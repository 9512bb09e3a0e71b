import t from 'tap'
import { listen } from '../../helper.js'
import { connect, makeGroup, makeUsers, text, type Client, type User } from '../conversations/helpers.js'

type App = Awaited<ReturnType<typeof listen>>['app']

const req = async (app: App, method: string, path: string, user: User, payload?: unknown) =>
  await app.inject({ method: method as 'POST', url: `/api${path}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })

async function ok (app: App, method: string, path: string, user: User, payload?: unknown): Promise<any> {
  const res = await req(app, method, path, user, payload)
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? undefined : res.json()
}

async function send (s: Client, conversationId: string, body: string, extra: Record<string, unknown> = {}): Promise<any> {
  const ack = await s.call('message:send', { conversationId, ...text(body), ...extra })
  if (!ack.ok) throw new Error(JSON.stringify(ack.error))
  return ack.data
}

t.test('a reply keeps the conversation\'s seq, updates the root\'s summary on the change stream, and stays out of the timeline', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c] = await makeUsers(app, 3) as [User, User, User]
  const g = await makeGroup(app, a, [b, c])
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  const sc = await connect(t, url, c)
  const live = sc.waitFor('message:new', 2)
  const root = await send(sa, g, 'root')
  const rootRev = (await app.prisma.message.findUniqueOrThrow({ where: { id: root.id } })).rev

  const updated = sc.waitFor('thread:updated')
  const r1 = await send(sb, g, 'first reply', { threadRootId: root.id })
  t.equal(r1.seq, root.seq + 1, 'the reply takes the conversation\'s next seq')
  const seen = (await live).find((m: any) => m.id === r1.id)
  t.match(seen, { id: r1.id, threadRootId: root.id, alsoInChat: false }, 'message:new names the root')
  const [summary] = await updated
  t.match(summary, { conversationId: g, rootId: root.id, thread: { replyCount: 1, lastReplySeq: r1.seq, lastRepliers: [b.id] } })
  t.ok(summary.rev > rootRev, 'the root took a new rev')
  const stored = await app.prisma.message.findUniqueOrThrow({ where: { id: root.id } })
  t.equal(stored.rev, rootRev, 'the root\'s row is not rewritten by a reply (BENCHMARKS.md, "Threads")')
  t.equal((await app.prisma.threadSummary.findUniqueOrThrow({ where: { rootId: root.id } })).rev, summary.rev, 'the summary carries the rev')
  const served = (await ok(app, 'GET', `/conversations/${g}/messages`, c)).messages.find((m: any) => m.id === root.id)
  t.equal(served.rev, summary.rev, 'the root as served has the event\'s rev')
  const conv = await app.prisma.conversation.findUniqueOrThrow({ where: { id: g } })
  t.equal(conv.lastRev, summary.rev, 'one rev for the reply, one for its root: no rev without its change')

  const r2 = await send(sc, g, 'second, also to the chat', { threadRootId: root.id, alsoInChat: true })
  const r3 = await send(sa, g, 'third')
  const r4 = await send(sb, g, 'fourth in thread', { threadRootId: root.id })

  const history = await ok(app, 'GET', `/conversations/${g}/messages`, c)
  const ids = history.messages.map((m: any) => m.id)
  t.ok(ids.includes(root.id) && ids.includes(r2.id) && ids.includes(r3.id), 'the root, the reply also sent to the chat and plain messages are in the timeline')
  t.notOk(ids.includes(r1.id) || ids.includes(r4.id), 'thread-only replies are not')
  const servedRoot = history.messages.find((m: any) => m.id === root.id)
  t.match(servedRoot.thread, { replyCount: 3, lastReplySeq: r4.seq, lastRepliers: [b.id, c.id] }, 'the root carries its summary, latest replier first, distinct')
  t.equal(history.messages.find((m: any) => m.id === r2.id).alsoInChat, true)
  const listed = (await ok(app, 'GET', '/conversations', c)).find((x: any) => x.id === g)
  t.equal(listed.lastMessage.id, r3.id, 'the list\'s last message is the timeline\'s, not a thread-only reply')
  t.equal(listed.unread, 1, 'unread: the plain message after c\'s own reply (not the thread-only reply after it)')

  // sync: one cursor, every message (thread replies too), exact; the root's change comes by rev
  const sync = await sc.call('sync', { cursors: { [g]: root.seq }, revs: { [g]: rootRev } })
  t.same(sync.data.messages.map((m: any) => m.seq), [r1.seq, r2.seq, r3.seq, r4.seq], 'sync by seq has every reply: gap-free')
  t.same(sync.data.updated.map((m: any) => m.id), [root.id], 'the root comes as changed')
  t.equal(sync.data.updated[0].thread.replyCount, 3)
  t.equal(sync.data.updated[0].rev, sync.data.revs[g], 'the root\'s rev is the latest change')
  const again = await sc.call('sync', { cursors: { [g]: root.seq }, revs: { [g]: sync.data.revs[g] } })
  t.same(again.data.updated, [], 'the summary change came once: not again from the returned rev')
  // An edit of the root after replies: its row's rev and its summary's both moved; one entry.
  const edited = await sa.call('message:edit', { messageId: root.id, content: 'root, edited' })
  t.ok(edited.ok, JSON.stringify(edited))
  const both = await sc.call('sync', { cursors: { [g]: root.seq }, revs: { [g]: rootRev } })
  t.same(both.data.updated.map((m: any) => m.id), [root.id], 'a root whose row and summary both changed comes once')
  t.equal(both.data.updated[0].content, 'root, edited')
  const cut = await sc.call('sync', { cursors: { [g]: root.seq }, revs: { [g]: rootRev }, limit: 1 })
  t.same(cut.data.updated.map((m: any) => m.id), [root.id], 'a page of one change')
  t.equal(cut.data.revs[g], summary.rev + 5, 'is complete only up to that change: the summary\'s after r4 (r2, its summary, r3, r4, its summary: 5 revs on), not the edit\'s')
  t.ok(cut.data.revs[g] < both.data.revs[g])

  const thread = await ok(app, 'GET', `/conversations/${g}/threads/${root.id}/messages?limit=2`, c)
  t.equal(thread.root.id, root.id)
  t.same(thread.messages.map((m: any) => m.id), [r4.id, r2.id], 'latest first')
  t.equal(thread.hasMore, true)
  const older = await ok(app, 'GET', `/conversations/${g}/threads/${root.id}/messages?before=${r2.seq as number}`, c)
  t.same(older.messages.map((m: any) => m.id), [r1.id])
  t.equal(older.hasMore, false)
  const after = await ok(app, 'GET', `/conversations/${g}/threads/${root.id}/messages?after=${r1.seq as number}&limit=10`, c)
  t.same(after.messages.map((m: any) => m.id), [r2.id, r4.id], 'after: oldest first')
  t.equal((await req(app, 'GET', `/conversations/${g}/threads/${root.id}/messages?after=1&before=9`, c)).json().error.code, 'VALIDATION')

  // naming a reply as the root: flattened to its root
  const r5 = await send(sc, g, 'reply to a reply', { threadRootId: r1.id })
  t.equal((await app.prisma.message.findUniqueOrThrow({ where: { id: r5.id } })).threadRootId, root.id, 'a reply to a reply goes to the root')
})

t.test('follows, read positions, unread and mention counts, and the thread list', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c] = await makeUsers(app, 3) as [User, User, User]
  const g = await makeGroup(app, a, [b, c])
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  const sc = await connect(t, url, c)
  const roots = []
  for (let i = 0; i < 3; i++) roots.push(await send(sa, g, `root ${i}`))
  const [x, y, z] = roots
  await send(sb, g, 'on x', { threadRootId: x.id })
  await send(sb, g, 'on z', { threadRootId: z.id })
  const yReply = await send(sb, g, 'on y, mentioning c', { threadRootId: y.id, mentions: [c.id] })

  let state = await ok(app, 'GET', `/conversations/${g}/threads/${y.id}`, a)
  t.match(state, { rootId: y.id, following: true, replyCount: 1, unread: 1, unreadMentions: 0 }, 'the root\'s author follows; b\'s reply is unread')
  state = await ok(app, 'GET', `/conversations/${g}/threads/${y.id}`, b)
  t.match(state, { following: true, unread: 0, readSeq: yReply.seq }, 'the replier follows and has read their own reply')
  state = await ok(app, 'GET', `/conversations/${g}/threads/${y.id}`, c)
  t.match(state, { following: false, unread: 1, unreadMentions: 1, readSeq: 0 }, 'c does not follow but sees the mention')

  const page1 = await ok(app, 'GET', `/conversations/${g}/threads?limit=2`, c)
  t.same(page1.threads.map((th: any) => th.rootId), [y.id, z.id], 'latest activity first')
  t.equal(page1.threads[0].root.id, y.id)
  t.equal(page1.nextBefore, page1.threads[1].lastReplySeq)
  const page2 = await ok(app, 'GET', `/conversations/${g}/threads?limit=2&before=${page1.nextBefore as number}`, c)
  t.same(page2.threads.map((th: any) => th.rootId), [x.id])
  t.equal(page2.nextBefore, undefined, 'the last page')
  await send(sc, g, 'bump x', { threadRootId: x.id })
  const again = await ok(app, 'GET', `/conversations/${g}/threads`, a)
  t.same(again.threads.map((th: any) => th.rootId), [x.id, y.id, z.id], 'a new reply moves its thread to the top')

  // follow / unfollow, to the user's own devices
  const followed = sc.waitFor('thread:followed')
  state = await ok(app, 'PUT', `/conversations/${g}/threads/${y.id}/follow`, c, { following: true })
  t.equal(state.following, true)
  t.same((await followed)[0], { conversationId: g, rootId: y.id, following: true })
  state = await ok(app, 'PUT', `/conversations/${g}/threads/${x.id}/follow`, a, { following: false })
  t.equal(state.following, false, 'the author unfollows')
  await send(sb, g, 'x again', { threadRootId: x.id })
  t.equal((await ok(app, 'GET', `/conversations/${g}/threads/${x.id}`, a)).following, false, 'someone else\'s reply does not re-follow them')
  await send(sa, g, 'my own reply on x', { threadRootId: x.id })
  t.equal((await ok(app, 'GET', `/conversations/${g}/threads/${x.id}`, a)).following, true, 'their own reply does')

  // read position: only forward, receipts to the members
  const receipt = sa.waitFor('thread:read')
  state = await ok(app, 'POST', `/conversations/${g}/threads/${y.id}/read`, c, { seq: yReply.seq })
  t.match(state, { readSeq: yReply.seq, unread: 0, unreadMentions: 0 })
  t.same((await receipt)[0], { conversationId: g, rootId: y.id, userId: c.id, seq: yReply.seq })
  state = await ok(app, 'POST', `/conversations/${g}/threads/${y.id}/read`, c, { seq: 1 })
  t.equal(state.readSeq, yReply.seq, 'a read position never moves back')
  const beyond = await req(app, 'POST', `/conversations/${g}/threads/${y.id}/read`, c, { seq: yReply.seq + 100 })
  t.equal(beyond.json().error.code, 'VALIDATION', 'beyond the thread\'s last reply')
})

t.test('sync {revs, threads}: my state of the threads that changed for me, once', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c] = await makeUsers(app, 3) as [User, User, User]
  const g = await makeGroup(app, a, [b, c])
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  const x = await send(sa, g, 'x')
  const y = await send(sa, g, 'y')
  const rev0 = (await sa.call('sync', { cursors: { [g]: y.seq }, revs: { [g]: 0 }, threads: true })).data.revs[g]
  const noFlag = await sa.call('sync', { cursors: { [g]: y.seq }, revs: { [g]: rev0 } })
  t.equal(noFlag.data.threads, undefined, 'without threads: true, no threads in the ack')

  await send(sb, g, 'on x', { threadRootId: x.id })
  await send(sb, g, 'on y, mentioning a', { threadRootId: y.id, mentions: [a.id] })
  let page = (await sa.call('sync', { cursors: { [g]: y.seq }, revs: { [g]: rev0 }, threads: true })).data
  t.same(page.threads.map((s: any) => s.rootId).sort(), [x.id, y.id].sort(), 'the author follows both: both changed')
  t.match(page.threads.find((s: any) => s.rootId === y.id), { conversationId: g, following: true, unread: 1, unreadMentions: 1, replyCount: 1 })
  const rev1 = page.revs[g]
  t.same((await sa.call('sync', { cursors: { [g]: y.seq }, revs: { [g]: rev1 }, threads: true })).data.threads, [], 'once: nothing new since the returned rev')
  const cPage = (await connect(t, url, c).then(async (sc) => await sc.call('sync', { cursors: { [g]: y.seq }, revs: { [g]: rev0 }, threads: true }))).data
  t.same(cPage.threads, [], 'c follows neither: no thread state for c')

  // Another device of a reads y and unfollows x: this device learns both from sync.
  await ok(app, 'POST', `/conversations/${g}/threads/${y.id}/read`, a, { seq: y.seq + 2 })
  await ok(app, 'PUT', `/conversations/${g}/threads/${x.id}/follow`, a, { following: false })
  page = (await sa.call('sync', { cursors: { [g]: y.seq }, revs: { [g]: rev1 }, threads: true })).data
  t.match(page.threads.find((s: any) => s.rootId === y.id), { unread: 0, unreadMentions: 0, readSeq: y.seq + 2 }, 'a read elsewhere')
  t.match(page.threads.find((s: any) => s.rootId === x.id), { following: false }, 'an unfollow elsewhere')
  const rev2 = page.revs[g]
  t.ok(rev2 > rev1, 'each change took a rev')
  // A reply in the unfollowed thread is not mine to hear about; an unchanged follow takes no rev.
  await send(sb, g, 'x again', { threadRootId: x.id })
  await ok(app, 'PUT', `/conversations/${g}/threads/${y.id}/follow`, a, { following: true })
  page = (await sa.call('sync', { cursors: { [g]: y.seq }, revs: { [g]: rev2 }, threads: true })).data
  t.same(page.threads, [], 'a reply in a thread I left, and a follow of one I follow: nothing')
  t.equal(page.revs[g], rev2 + 2, 'the reply and its summary took revs; the no-op follow none')
})
