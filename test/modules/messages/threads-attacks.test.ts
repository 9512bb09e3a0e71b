import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../../helper.js'
import { makeGroup, makeUsers, text, type User } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'
import { makeAdmin } from '../admin/helpers.js'

type App = Awaited<ReturnType<typeof build>>

const req = async (app: App, method: string, path: string, user: { auth: Record<string, string> }, payload?: unknown) =>
  await app.inject({ method: method as 'POST', url: `/api${path}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })

async function ok (app: App, method: string, path: string, user: { auth: Record<string, string> }, payload?: unknown): Promise<any> {
  const res = await req(app, method, path, user, payload)
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? undefined : res.json()
}

const reply = (app: App, g: string, u: User, threadRootId: string, extra: Record<string, unknown> = {}) =>
  req(app, 'POST', `/conversations/${g}/messages`, u, { ...text('in thread'), threadRootId, ...extra })

t.test('removed and banned members neither reply in nor read a thread; outsiders get nothing', async (t) => {
  const app = await build(t)
  const [o, m, r, x] = await makeUsers(app, 4) as [User, User, User, User]
  const g = await makeGroup(app, o, [m, r])
  const root = await ok(app, 'POST', `/conversations/${g}/messages`, o, text('root'))
  await ok(app, 'POST', `/conversations/${g}/messages`, r, { ...text('r replied before'), threadRootId: root.id })
  await ok(app, 'DELETE', `/groups/${g}/members/${r.id}`, o)
  await ok(app, 'PUT', `/groups/${g}/bans/${m.id}`, o)
  for (const [who, u] of [['removed', r], ['banned', m], ['outsider', x]] as const) {
    await refused(t, app, 'NOT_FOUND', `${who}: reply`, async () => await reply(app, g, u, root.id))
    await refused(t, app, 'NOT_FOUND', `${who}: thread messages`, async () => await req(app, 'GET', `/conversations/${g}/threads/${root.id}/messages`, u))
    await refused(t, app, 'NOT_FOUND', `${who}: thread list`, async () => await req(app, 'GET', `/conversations/${g}/threads`, u))
    await refused(t, app, 'NOT_FOUND', `${who}: state`, async () => await req(app, 'GET', `/conversations/${g}/threads/${root.id}`, u))
    await refused(t, app, 'NOT_FOUND', `${who}: follow`, async () => await req(app, 'PUT', `/conversations/${g}/threads/${root.id}/follow`, u, { following: true }))
    await refused(t, app, 'NOT_FOUND', `${who}: read`, async () => await req(app, 'POST', `/conversations/${g}/threads/${root.id}/read`, u, { seq: 1 }))
  }
})

t.test('roots that cannot start a thread, and bad input', async (t) => {
  const app = await build(t)
  const [a, b, c] = await makeUsers(app, 3) as [User, User, User]
  const g = await makeGroup(app, a, [b])
  const other = await makeGroup(app, a, [c], 'other')
  const foreign = await ok(app, 'POST', `/conversations/${other}/messages`, a, text('elsewhere'))
  await refused(t, app, 'VALIDATION', 'a root in another conversation', async () => await reply(app, g, a, foreign.id))
  await refused(t, app, 'NOT_FOUND', 'a root in a conversation the sender is not in', async () => await reply(app, g, b, foreign.id))
  await refused(t, app, 'NOT_FOUND', 'the thread of another conversation\'s message, by path', async () => await req(app, 'GET', `/conversations/${g}/threads/${foreign.id}/messages`, a))
  await refused(t, app, 'NOT_FOUND', 'an unknown root', async () => await reply(app, g, a, randomUUID()))
  await ok(app, 'PATCH', `/groups/${g}`, a, { name: 'renamed' })
  const system = await app.prisma.message.findFirstOrThrow({ where: { conversationId: g, type: 'system' } })
  await refused(t, app, 'VALIDATION', 'a system message as root', async () => await reply(app, g, a, system.id))
  await refused(t, app, 'VALIDATION', 'a system message\'s thread', async () => await req(app, 'GET', `/conversations/${g}/threads/${system.id}/messages`, a))
  const root = await ok(app, 'POST', `/conversations/${g}/messages`, a, text('root'))
  await refused(t, app, 'VALIDATION', 'alsoInChat without a root', async () => await req(app, 'POST', `/conversations/${g}/messages`, a, { ...text('x'), alsoInChat: true }))
  await refused(t, app, 'VALIDATION', 'a root id that is no uuid', async () => await reply(app, g, a, 'not-a-uuid'))
  await refused(t, app, 'VALIDATION', 'NUL in the root id', async () => await reply(app, g, a, `${root.id as string}\u0000`))
  await refused(t, app, 'VALIDATION', 'bidi in the root id', async () => await reply(app, g, a, `\u202e${root.id as string}`))
  await refused(t, app, 'VALIDATION', 'alsoInChat not a boolean', async () => await reply(app, g, a, root.id, { alsoInChat: 'yes' }))
  await refused(t, app, 'VALIDATION', 'follow without a boolean', async () => await req(app, 'PUT', `/conversations/${g}/threads/${root.id}/follow`, a, { following: 'no' }))
  await refused(t, app, 'VALIDATION', 'follow with an extra field', async () => await req(app, 'PUT', `/conversations/${g}/threads/${root.id}/follow`, a, { following: true, userId: b.id }))
  await refused(t, app, 'VALIDATION', 'read of a thread without replies', async () => await req(app, 'POST', `/conversations/${g}/threads/${root.id}/read`, a, { seq: 1 }))
  await refused(t, app, 'VALIDATION', 'a negative cursor', async () => await req(app, 'GET', `/conversations/${g}/threads?before=-1`, a))
  await refused(t, app, 'VALIDATION', 'limit over 100', async () => await req(app, 'GET', `/conversations/${g}/threads?limit=101`, a))
  const upper = await ok(app, 'POST', `/conversations/${g}/messages`, b, { ...text('upper-case id'), threadRootId: (root.id as string).toUpperCase() })
  t.equal(upper.threadRootId, root.id, 'ids are normalised at the boundary')
})

t.test('recalled, removed and deleted-for-me roots; edit, reactions, pins, search and recall on replies', async (t) => {
  const app = await build(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, a, [b])
  const root = await ok(app, 'POST', `/conversations/${g}/messages`, a, text('root words'))
  const r1 = await ok(app, 'POST', `/conversations/${g}/messages`, b, { ...text('threadreply pineapple'), threadRootId: root.id })
  await ok(app, 'DELETE', `/conversations/${g}/messages/${root.id as string}`, a)
  const after = await ok(app, 'GET', `/conversations/${g}/threads/${root.id}/messages`, b)
  t.equal(after.root.recalled, true, 'the root is recalled')
  t.equal(after.root.content, null)
  t.same(after.messages.map((m: any) => m.id), [r1.id], 'a recalled root keeps its thread')
  t.equal(after.root.thread.replyCount, 1)
  const r2 = await ok(app, 'POST', `/conversations/${g}/messages`, a, { ...text('still replying'), threadRootId: root.id })
  t.equal(r2.threadRootId, root.id, 'replies to a recalled root are taken')

  // a reply is a message like any other
  const edited = await ok(app, 'PATCH', `/conversations/${g}/messages/${r1.id as string}`, b, { content: 'edited threadreply pineapple' })
  t.equal(edited.threadRootId, root.id, 'an edit keeps the thread')
  const reactions = await ok(app, 'PUT', `/conversations/${g}/messages/${r1.id as string}/reactions/${encodeURIComponent('👍')}`, a)
  t.equal(reactions.reactions[0].count, 1)
  await ok(app, 'POST', `/conversations/${g}/pins`, a, { messageId: r1.id })
  const pins = await ok(app, 'GET', `/conversations/${g}/pins`, b)
  t.equal(pins[0].threadRootId, root.id, 'a pinned reply says its thread')
  const found = await ok(app, 'GET', `/search/messages?q=pineapple&conversationId=${g}`, a)
  t.equal(found.results?.[0]?.message?.id ?? found[0]?.message?.id, r1.id, 'search finds a thread reply')
  await ok(app, 'DELETE', `/conversations/${g}/messages/${r2.id as string}`, a)
  const recalled = await ok(app, 'GET', `/conversations/${g}/threads/${root.id}/messages`, b)
  t.equal(recalled.messages.find((m: any) => m.id === r2.id).recalled, true, 'a reply is recalled in place')

  // moderation: an admin's removal of a reply
  const admin = await makeAdmin(app)
  await ok(app, 'DELETE', `/admin/messages/${r1.id as string}`, admin)
  const moderated = await ok(app, 'GET', `/conversations/${g}/threads/${root.id}/messages`, b)
  t.equal(moderated.messages.find((m: any) => m.id === r1.id).content, null, 'a removed reply shows no content')

  // deleted for me: the root is gone for b (its thread too), not for a
  const root2 = await ok(app, 'POST', `/conversations/${g}/messages`, a, text('second root'))
  const hidden = await ok(app, 'POST', `/conversations/${g}/messages`, a, { ...text('hidden reply'), threadRootId: root2.id })
  await ok(app, 'DELETE', `/conversations/${g}/messages/${root2.id as string}?for=me`, b)
  await refused(t, app, 'NOT_FOUND', 'a root deleted for me: no thread view', async () => await req(app, 'GET', `/conversations/${g}/threads/${root2.id}/messages`, b))
  await refused(t, app, 'NOT_FOUND', 'nor a reply to it', async () => await reply(app, g, b, root2.id))
  const list = await ok(app, 'GET', `/conversations/${g}/threads`, b)
  t.notOk(list.threads.some((th: any) => th.rootId === root2.id), 'nor in the list')
  t.ok((await ok(app, 'GET', `/conversations/${g}/threads`, a)).threads.some((th: any) => th.rootId === root2.id), 'a still has it')
  await ok(app, 'DELETE', `/conversations/${g}/messages/${hidden.id as string}?for=me`, a)
  t.same((await ok(app, 'GET', `/conversations/${g}/threads/${root2.id}/messages`, a)).messages, [], 'a reply deleted for me is not in my thread view')
})

t.test('concurrent replies: counts exact, seqs gap-free', async (t) => {
  const app = await build(t)
  const users = await makeUsers(app, 5)
  const [owner, ...rest] = users as [User, ...User[]]
  const g = await makeGroup(app, owner, rest)
  const root = await ok(app, 'POST', `/conversations/${g}/messages`, owner, text('root'))
  const sends = []
  for (let i = 0; i < 40; i++) {
    const u = users[i % users.length] as User
    sends.push(reply(app, g, u, root.id, i % 3 === 0 ? { alsoInChat: true } : {}))
  }
  const results = await Promise.all(sends)
  t.ok(results.every((r) => r.statusCode === 201), 'all stored')
  const state = await ok(app, 'GET', `/conversations/${g}/threads/${root.id}`, owner)
  t.equal(state.replyCount, 40, 'the count is exact')
  const seqs = (await app.prisma.message.findMany({ where: { conversationId: g }, orderBy: { seq: 'asc' }, select: { seq: true } })).map((m) => m.seq)
  t.same(seqs, seqs.map((_, i) => i + 1), 'gap-free seqs')
  const summary = await app.prisma.threadSummary.findUniqueOrThrow({ where: { rootId: root.id } })
  t.equal(summary.lastReplySeq, seqs[seqs.length - 1])
  t.equal(new Set(summary.lastRepliers).size, summary.lastRepliers.length, 'repliers distinct')
  t.equal(summary.lastRepliers.length, 3)
  const follows = await app.prisma.threadFollow.count({ where: { rootId: root.id, following: true } })
  t.equal(follows, 5, 'every replier and the author follow, once each')
  const conv = await app.prisma.conversation.findUniqueOrThrow({ where: { id: g } })
  t.equal(summary.rev, conv.lastRev, 'the last rev is the root summary\'s (a reply moves it, not the root\'s row)')
  const revs = (await app.prisma.message.findMany({ where: { conversationId: g }, select: { rev: true } })).map((m) => m.rev)
  t.ok(revs.every((r) => r < summary.rev), 'no message took a rev after it')
  t.equal(new Set(revs).size, revs.length, 'every rev names one change')
})

t.test('a public channel\'s threads: non-members read them as its history, with no state of their own; a banned user reads neither', async (t) => {
  const app = await build(t)
  const [o, m, p, b] = await makeUsers(app, 4) as [User, User, User, User]
  const ch = (await ok(app, 'POST', '/channels', o, { name: `threads ${randomUUID().slice(0, 8)}` })).id as string
  await ok(app, 'POST', `/channels/${ch}/join`, m)
  await ok(app, 'POST', `/channels/${ch}/join`, b)
  const root = await ok(app, 'POST', `/conversations/${ch}/messages`, o, text('root'))
  const r1 = await ok(app, 'POST', `/conversations/${ch}/messages`, m, { ...text('in the thread'), threadRootId: root.id })
  // A member's own hiding stays theirs: the public still reads the root.
  await ok(app, 'DELETE', `/conversations/${ch}/messages/${root.id as string}?for=me`, m)
  await ok(app, 'PUT', `/groups/${ch}/bans/${b.id}`, o)

  const list = await ok(app, 'GET', `/conversations/${ch}/threads`, p)
  t.same(list.threads.map((th: any) => th.rootId), [root.id], 'a non-member lists the channel\'s threads')
  t.match(list.threads[0], { replyCount: 1, following: false, readSeq: 0, unread: 0, unreadMentions: 0, root: { id: root.id, content: 'root' } })
  const page = await ok(app, 'GET', `/conversations/${ch}/threads/${r1.id as string}/messages`, p)
  t.same([page.root.id, ...page.messages.map((x: any) => x.id)], [root.id, r1.id], 'and reads a thread (a reply\'s id reads its root\'s)')
  t.match(await ok(app, 'GET', `/conversations/${ch}/threads/${root.id as string}`, p), { replyCount: 1, following: false, unread: 0 })
  await refused(t, app, 'FORBIDDEN', 'a non-member cannot follow', async () => await req(app, 'PUT', `/conversations/${ch}/threads/${root.id as string}/follow`, p, { following: true }))
  await refused(t, app, 'FORBIDDEN', 'nor mark read', async () => await req(app, 'POST', `/conversations/${ch}/threads/${root.id as string}/read`, p, { seq: r1.seq }))
  await refused(t, app, 'FORBIDDEN', 'nor reply', async () => await reply(app, ch, p, root.id))
  t.equal(await app.prisma.threadFollow.count({ where: { userId: p.id } }), 0, 'nothing written for them')

  await refused(t, app, 'NOT_FOUND', 'the member who deleted the root for themselves: no thread view', async () => await req(app, 'GET', `/conversations/${ch}/threads/${root.id as string}/messages`, m))
  t.same((await ok(app, 'GET', `/conversations/${ch}/threads`, m)).threads, [], 'nor in their list')

  for (const [what, path] of [['history', `/conversations/${ch}/messages`], ['threads', `/conversations/${ch}/threads`],
    ['a thread', `/conversations/${ch}/threads/${root.id as string}/messages`], ['a thread\'s state', `/conversations/${ch}/threads/${root.id as string}`]] as const) {
    await refused(t, app, 'FORBIDDEN', `banned: ${what}`, async () => await req(app, 'GET', path, b))
  }
})

t.test('40 concurrent replies racing follows and unfollows: exact counts, one row per follower, every rev one change', async (t) => {
  const app = await build(t)
  const users = await makeUsers(app, 4)
  const [owner, ...rest] = users as [User, ...User[]]
  const g = await makeGroup(app, owner, rest)
  const root = await ok(app, 'POST', `/conversations/${g}/messages`, owner, text('root'))
  const jobs: Array<Promise<{ statusCode: number }>> = []
  for (let i = 0; i < 40; i++) {
    jobs.push(reply(app, g, rest[i % 2] as User, root.id))
    // The owner and a non-replier toggle their follow while the replies land.
    const who = i % 2 === 0 ? owner : rest[2] as User
    jobs.push(req(app, 'PUT', `/conversations/${g}/threads/${root.id as string}/follow`, who, { following: i % 4 < 2 }))
  }
  const results = await Promise.all(jobs)
  t.same(results.map((r) => r.statusCode).filter((c) => c >= 300), [], 'every reply and follow went through')
  t.equal((await ok(app, 'GET', `/conversations/${g}/threads/${root.id as string}`, owner)).replyCount, 40, 'the count is exact')
  const follows = await app.prisma.threadFollow.findMany({ where: { rootId: root.id } })
  t.equal(follows.length, 4, 'one row per user who followed, replied or toggled')
  t.ok(follows.filter((f) => f.userId === rest[0]!.id || f.userId === rest[1]!.id).every((f) => f.following), 'repliers follow')
  const conv = await app.prisma.conversation.findUniqueOrThrow({ where: { id: g } })
  const messageRevs = (await app.prisma.message.findMany({ where: { conversationId: g }, select: { rev: true } })).map((m) => m.rev)
  const summary = await app.prisma.threadSummary.findUniqueOrThrow({ where: { rootId: root.id } })
  const revs = [...messageRevs, summary.rev, ...follows.map((f) => f.rev).filter((r) => r > 0)]
  t.equal(new Set(revs).size, revs.length, 'no rev names two changes')
  t.equal(Math.max(...revs), conv.lastRev, 'the latest rev is a recorded change')
})

t.test('thread replies with NUL, bidi and zero-width text: NUL refused with nothing written, the rest stored as sent', async (t) => {
  const app = await build(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, a, [b])
  const root = await ok(app, 'POST', `/conversations/${g}/messages`, a, text('root'))
  await refused(t, app, 'VALIDATION', 'NUL in a reply\'s text', async () => await req(app, 'POST', `/conversations/${g}/messages`, b, { ...text('a\u0000b'), threadRootId: root.id }))
  t.equal(await app.prisma.threadSummary.count({ where: { rootId: root.id } }), 0, 'no summary for a refused reply')
  const odd = '\u202eevil\u202c \u200bzero\u200d width'
  const r = await ok(app, 'POST', `/conversations/${g}/messages`, b, { ...text(odd), threadRootId: root.id })
  const page = await ok(app, 'GET', `/conversations/${g}/threads/${root.id as string}/messages`, a)
  t.equal(page.messages[0].id, r.id)
  t.equal(page.messages[0].content, odd, 'bidi and zero-width characters are content, kept as sent')
})
