import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { App } from '../../../src/app.js'
import { build, createTestDatabase, listen, servicesMode } from '../../helper.js'
import { connect, directPair, makeGroup, makeUsers, settle, type User } from '../conversations/helpers.js'
import { until } from '../../socket-client.js'

async function makeChannel (app: App, owner: User, name = `chan ${randomUUID().slice(0, 8)}`, topic?: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/channels', headers: owner.auth, payload: { name, ...(topic === undefined ? {} : { topic }) } })
  if (res.statusCode !== 201) throw new Error(`channel failed: ${res.statusCode} ${res.body}`)
  return res.json().id
}

async function join (app: App, user: User, channelId: string) {
  return await app.inject({ method: 'POST', url: `/api/channels/${channelId}/join`, headers: user.auth })
}

async function send (app: App, user: User, conversationId: string, text = 'hi') {
  return await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: user.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: text } })
}

const memberCount = async (app: App, id: string): Promise<number> => (await app.prisma.conversation.findUniqueOrThrow({ where: { id } })).memberCount

t.test('POST /channels creates a channel owned by the caller; its view has a member count, not a member list', async (t) => {
  const { app, url } = await listen(t)
  const [owner] = await makeUsers(app, 1)
  const so = await connect(t, url, owner!)
  const res = await app.inject({ method: 'POST', url: '/api/channels', headers: owner!.auth, payload: { name: '  News  ', topic: ' What happens ' } })
  t.equal(res.statusCode, 201)
  const c = res.json()
  t.match(c, { id: String, type: 'channel', name: 'News', topic: 'What happens', ownerId: owner!.id, memberCount: 1, members: [], lastSeq: 0, readSeq: 0, unread: 0 })
  const [updated] = await so.waitFor('conversation:updated')
  t.equal(updated.id, c.id)
  // the owner's socket joined the channel's room at once
  const sent = await send(app, owner!, c.id, 'first')
  t.equal(sent.statusCode, 201)
  const [m] = await so.waitFor('message:new')
  t.equal(m.content, 'first')
  const list = await app.inject({ method: 'GET', url: '/api/conversations', headers: owner!.auth })
  t.match(list.json().find((x: any) => x.id === c.id), { type: 'channel', memberCount: 1, members: [] })
  const noTopic = await app.inject({ method: 'POST', url: '/api/channels', headers: owner!.auth, payload: { name: 'plain' } })
  t.equal(noTopic.json().topic, null)
})

t.test('bad channel bodies are refused and create nothing', async (t) => {
  const app = await build(t)
  const [owner] = await makeUsers(app, 1)
  const cases: unknown[] = [
    {},
    { name: '' },
    { name: '    ' },
    { name: 'x'.repeat(65) },
    { name: 'bell\u0007' },
    { name: 'two\nlines' },
    { name: 'nul\u0000' },
    { name: 'c1\u0085' },
    { name: 7 },
    { name: 'ok', topic: '' },
    { name: 'ok', topic: '  ' },
    { name: 'ok', topic: 't'.repeat(257) },
    { name: 'ok', topic: 'tab\there' },
    { name: 'ok', topic: null },
    { name: 'ok', memberIds: [] },
    { name: 'ok', type: 'group' }
  ]
  for (const payload of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/channels', headers: owner!.auth, payload: payload as object })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.equal(res.json().error?.code, 'VALIDATION', JSON.stringify(payload))
  }
  t.equal(await app.prisma.conversationMember.count({ where: { userId: owner!.id } }), 0, 'nothing written')
  const fits = await app.inject({ method: 'POST', url: '/api/channels', headers: owner!.auth, payload: { name: 'n'.repeat(64), topic: '话'.repeat(256) } })
  t.equal(fits.statusCode, 201, 'the limits themselves fit (topic counted in characters)')
  const unauth = await app.inject({ method: 'POST', url: '/api/channels', payload: { name: 'x' } })
  t.equal(unauth.statusCode, 401)
})

t.test('GET /channels: substring search, most members first, keyset pages', async (t) => {
  const app = await build(t)
  const users = await makeUsers(app, 4)
  const tag = `zq${randomUUID().slice(0, 6)}`
  const small = await makeChannel(app, users[0]!, `${tag} Small`)
  const big = await makeChannel(app, users[0]!, `The ${tag.toUpperCase()} big one`, 'biggest')
  const mid = await makeChannel(app, users[0]!, `mid-${tag}`)
  const other = await makeChannel(app, users[0]!, `unrelated ${randomUUID().slice(0, 6)}`)
  for (const u of users.slice(1)) t.equal((await join(app, u, big)).statusCode, 200)
  t.equal((await join(app, users[1]!, mid)).statusCode, 200)

  const res = await app.inject({ method: 'GET', url: `/api/channels?q=${tag.toUpperCase()}`, headers: users[3]!.auth })
  t.equal(res.statusCode, 200)
  t.same(res.json().map((c: any) => c.id), [big, mid, small], 'case-insensitive, most members first')
  t.match(res.json()[0], { id: big, name: `The ${tag.toUpperCase()} big one`, topic: 'biggest', ownerId: users[0]!.id, memberCount: 4, joined: true, createdAt: String, lastActivityAt: String })
  t.equal(res.json()[2].joined, false)
  t.equal(res.headers['x-next-cursor'], undefined, 'no next page')

  const seen: string[] = []
  let cursor: string | undefined
  for (let i = 0; i < 5; i++) {
    const page = await app.inject({ method: 'GET', url: `/api/channels?q=${tag}&limit=1${cursor === undefined ? '' : `&cursor=${cursor}`}`, headers: users[0]!.auth })
    t.equal(page.statusCode, 200)
    seen.push(...page.json().map((c: any) => c.id))
    cursor = page.headers['x-next-cursor'] as string | undefined
    if (cursor === undefined) break
  }
  t.same(seen, [big, mid, small], 'pages of one, in order, nothing repeated')

  // Without q, every channel: walked page by page, since the database holds the channels of
  // every test file its process ran (a one-member channel can be past the first 100).
  const all: any[] = []
  cursor = undefined
  for (let i = 0; i < 1000; i++) {
    const page = await app.inject({ method: 'GET', url: `/api/channels?limit=100${cursor === undefined ? '' : `&cursor=${cursor}`}`, headers: users[0]!.auth })
    all.push(...page.json())
    cursor = page.headers['x-next-cursor'] as string | undefined
    if (cursor === undefined) break
  }
  t.ok(all.some((c: any) => c.id === other), 'no q: every channel')
  t.equal(new Set(all.map((c: any) => c.id)).size, all.length, 'nothing repeated across pages')
  const counts = all.map((c: any) => c.memberCount)
  t.same(counts, [...counts].sort((a: number, b: number) => b - a), 'ordered by members')

  // groups and direct conversations are never listed
  await makeGroup(app, users[0]!, [], `${tag} group`)
  t.same((await app.inject({ method: 'GET', url: `/api/channels?q=${tag}`, headers: users[0]!.auth })).json().length, 3)
})

t.test('GET /channels: wildcards match themselves; bad q, limit and cursor are VALIDATION', async (t) => {
  const app = await build(t)
  const [u] = await makeUsers(app, 1)
  const tag = `wc${randomUUID().slice(0, 6)}`
  const pct = await makeChannel(app, u!, `${tag} 100%`)
  await makeChannel(app, u!, `${tag} 1000`)
  const under = await makeChannel(app, u!, `${tag} a_b`)
  await makeChannel(app, u!, `${tag} axb`)
  const q = async (s: string) => (await app.inject({ method: 'GET', url: `/api/channels?q=${encodeURIComponent(s)}`, headers: u!.auth })).json()
  t.same((await q(`${tag} 100%`)).map((c: any) => c.id), [pct])
  t.same((await q(`${tag} a_b`)).map((c: any) => c.id), [under])
  t.same(await q(`${tag} \\`), [])
  t.same(await q('%%%%'), [])

  const bad = [
    `q=${'x'.repeat(10_000)}`,
    `q=${'x'.repeat(65)}`,
    'q=%07bell',
    'limit=0',
    'limit=101',
    'limit=abc',
    'cursor=',
    'cursor=nonsense',
    `cursor=${Buffer.from('12|not-a-uuid').toString('base64url')}`,
    `cursor=${Buffer.from(`-1|${randomUUID()}`).toString('base64url')}`,
    `cursor=${Buffer.from(`99999999999|${randomUUID()}`).toString('base64url')}`,
    `cursor=${'A'.repeat(201)}`
  ]
  for (const query of bad) {
    const res = await app.inject({ method: 'GET', url: `/api/channels?${query}`, headers: u!.auth })
    t.equal(res.json().error?.code, 'VALIDATION', query.slice(0, 40))
  }
})

t.test('joining: idempotent, private conversations are NOT_FOUND, a full channel is CONFLICT', async (t) => {
  const app = await build(t, { CHANNEL_MAX_MEMBERS: 2 })
  const [owner, bob, carol] = await makeUsers(app, 3)
  const channelId = await makeChannel(app, owner!)
  const first = await join(app, bob!, channelId)
  t.equal(first.statusCode, 200)
  t.match(first.json(), { id: channelId, type: 'channel', memberCount: 2, readSeq: 1, lastSeq: 1, unread: 0 })
  const again = await join(app, bob!, channelId)
  t.equal(again.statusCode, 200, 'joining twice answers the channel')
  t.match(again.json(), { memberCount: 2, lastSeq: 1 }, 'and changes nothing (no second join notice)')
  t.equal(await memberCount(app, channelId), 2)

  const full = await join(app, carol!, channelId)
  t.equal(full.statusCode, 409)
  t.equal(full.json().error.code, 'CONFLICT')
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: channelId, userId: carol!.id } }), 0)

  const groupId = await makeGroup(app, owner!, [])
  const { conversationId: directId } = await directPair(app)
  for (const id of [groupId, directId, randomUUID()]) {
    const res = await join(app, carol!, id)
    t.equal(res.statusCode, 404)
    t.equal(res.json().error.code, 'NOT_FOUND')
  }
  t.equal(await app.prisma.conversationMember.count({ where: { userId: carol!.id } }), 0, 'nothing written')
  t.equal((await app.inject({ method: 'POST', url: '/api/channels/nope/join', headers: carol!.auth })).json().error.code, 'VALIDATION')
  // a channel is not a group: the group routes that add members refuse it
  const add = await app.inject({ method: 'POST', url: `/api/groups/${channelId}/members`, headers: owner!.auth, payload: { userIds: [carol!.id] } })
  t.equal(add.json().error.code, 'NOT_FOUND')
})

t.test('CHANNEL_MAX_MEMBERS holds under concurrent joins', async (t) => {
  const app = await build(t, { CHANNEL_MAX_MEMBERS: 3 })
  const [owner, ...others] = await makeUsers(app, 7)
  const channelId = await makeChannel(app, owner!)
  const results = await Promise.all(others.map(async (u) => (await join(app, u, channelId)).statusCode))
  t.equal(results.filter((s) => s === 200).length, 2)
  t.equal(results.filter((s) => s === 409).length, 4)
  t.equal(await memberCount(app, channelId), 3)
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: channelId } }), 3)
})

t.test('one user joining many times at once: one membership, one join notice; a deleted account cannot join', async (t) => {
  const app = await build(t)
  const [owner, bob, gone] = await makeUsers(app, 3)
  const channelId = await makeChannel(app, owner!)
  const results = await Promise.all(Array.from({ length: 6 }, async () => await join(app, bob!, channelId)))
  t.same(results.map((r) => r.statusCode), [200, 200, 200, 200, 200, 200], 'every call answers the channel')
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: channelId, userId: bob!.id } }), 1)
  t.equal(await memberCount(app, channelId), 2)
  const notices = await app.prisma.message.findMany({ where: { conversationId: channelId, type: 'system' }, select: { seq: true, content: true } })
  t.same(notices.filter((m) => (m.content as { event?: string }).event === 'member_joined').length, 1, 'one member_joined notice')
  const seqs = (await app.prisma.message.findMany({ where: { conversationId: channelId }, select: { seq: true }, orderBy: { seq: 'asc' } })).map((m) => m.seq)
  t.same(seqs, seqs.map((_, i) => i + 1), 'seqs stay gap-free')

  await app.prisma.user.delete({ where: { id: gone!.id } })
  const res = await join(app, gone!, channelId)
  t.equal(res.statusCode, 401, 'a deleted account\'s token')
  t.equal(await memberCount(app, channelId), 2, 'nothing joined')
})

t.test('non-members read a channel and its history, but cannot write, receipt or type in it', async (t) => {
  const { app, url } = await listen(t)
  const [owner, reader] = await makeUsers(app, 2)
  const channelId = await makeChannel(app, owner!, 'open book')
  for (let i = 1; i <= 3; i++) await send(app, owner!, channelId, `m${i}`)

  const view = await app.inject({ method: 'GET', url: `/api/conversations/${channelId}`, headers: reader!.auth })
  t.equal(view.statusCode, 200)
  t.match(view.json(), { id: channelId, type: 'channel', name: 'open book', memberCount: 1, lastSeq: 3 })
  t.notOk('readSeq' in view.json(), 'no cursors of a non-member')
  const history = await app.inject({ method: 'GET', url: `/api/conversations/${channelId}/messages`, headers: reader!.auth })
  t.equal(history.statusCode, 200)
  t.same(history.json().messages.map((m: any) => m.content), ['m3', 'm2', 'm1'])
  const after = await app.inject({ method: 'GET', url: `/api/conversations/${channelId}/messages?after=1&limit=1`, headers: reader!.auth })
  t.same(after.json(), { messages: [after.json().messages[0]], hasMore: true, historyStartsAt: 0 })
  t.equal(after.json().messages[0].seq, 2)

  const denied = await send(app, reader!, channelId)
  t.equal(denied.statusCode, 403)
  t.equal(denied.json().error.code, 'FORBIDDEN')
  const read = await app.inject({ method: 'POST', url: `/api/conversations/${channelId}/read`, headers: reader!.auth, payload: { seq: 1 } })
  t.equal(read.json().error?.code, 'FORBIDDEN')
  const sr = await connect(t, url, reader!)
  t.match(await sr.call('message:send', { conversationId: channelId, clientMsgId: randomUUID(), type: 'text', content: 'x' }), { ok: false, error: { code: 'FORBIDDEN' } })
  t.match(await sr.call('message:read', { conversationId: channelId, seq: 1 }), { ok: false, error: { code: 'FORBIDDEN' } })
  t.match(await sr.call('typing', { conversationId: channelId, typing: true }), { ok: false, error: { code: 'NOT_FOUND' } })
  t.match(await sr.call('sync', { cursors: { [channelId]: 0 } }), { ok: true, data: { messages: [] } })
  t.equal(await app.prisma.message.count({ where: { conversationId: channelId } }), 3, 'nothing written')
  // Retention as the purge leaves it (m1 gone, history starts at 2): a non-member's pages say so too.
  await app.sql.query('DELETE FROM messages WHERE conversation_id = $1::uuid AND seq < 2', [channelId])
  await app.sql.query('UPDATE conversations SET history_start_seq = 2 WHERE id = $1::uuid', [channelId])
  const purged = await app.inject({ method: 'GET', url: `/api/conversations/${channelId}/messages`, headers: reader!.auth })
  t.same({ contents: purged.json().messages.map((m: any) => m.content), start: purged.json().historyStartsAt }, { contents: ['m3', 'm2'], start: 2 })
  const below = await app.inject({ method: 'GET', url: `/api/conversations/${channelId}/messages?before=2`, headers: reader!.auth })
  t.same(below.json(), { messages: [], hasMore: false, historyStartsAt: 2 }, 'an empty public page says it as well')

  // private conversations stay private
  const groupId = await makeGroup(app, owner!, [])
  t.equal((await app.inject({ method: 'GET', url: `/api/conversations/${groupId}/messages`, headers: reader!.auth })).json().error.code, 'NOT_FOUND')
  t.equal((await app.inject({ method: 'GET', url: `/api/conversations/${groupId}`, headers: reader!.auth })).json().error.code, 'NOT_FOUND')
  t.equal((await send(app, reader!, groupId)).json().error.code, 'NOT_FOUND')
})

t.test('delivery goes through the channel room: one emit per message, personal events to user rooms', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol, outsider] = await makeUsers(app, 4)
  const channelId = await makeChannel(app, owner!)
  await join(app, bob!, channelId)
  const sb = await connect(t, url, bob!) // joins the room at connect
  const sb2 = await connect(t, url, bob!) // a second device
  const sc = await connect(t, url, carol!) // not yet a member
  const sx = await connect(t, url, outsider!)

  const rooms: string[] = []
  const users: string[][] = []
  const realtime = app.realtime as any
  const toRoom = realtime.toRoom
  const toUsers = realtime.toUsers
  realtime.toRoom = (room: string, event: string, payload: unknown) => { rooms.push(`${event}@${room}`); toRoom(room, event, payload) }
  realtime.toUsers = (ids: string[], event: string, payload: unknown) => { users.push([event, ...ids]); toUsers(ids, event, payload) }

  const res = await send(app, owner!, channelId, 'one')
  t.equal(res.statusCode, 201)
  await sb.waitFor('message:new')
  await sb2.waitFor('message:new')
  t.same(rooms, [`message:new@channel:${channelId}`], 'one emit to the room')
  t.same(users, [], 'nothing per member')

  // carol joins while connected: her socket joins the room live
  const joined = await join(app, carol!, channelId)
  t.equal(joined.statusCode, 200)
  // The arrival is announced just after the answer (src/modules/channels/service.ts, join).
  await sc.waitFor('conversation:updated')
  await settle(50)
  t.same(users.map((u) => u[0]), ['conversation:updated'], 'only the newcomer is told')
  t.same(users[0]!.slice(1), [carol!.id])
  await until(async () => (await app.realtime.localSocketCount(carol!.id)) === 1)
  await settle(50)
  const [joinedNotice] = await sc.waitFor('message:new')
  t.match(joinedNotice, { type: 'system', content: { event: 'member_joined', actorId: carol!.id } }, 'the join notice reaches the room, the newcomer included')
  t.ok(sb.of('message:new').some((m: any) => m.type === 'system'), 'and the other members')
  await send(app, owner!, channelId, 'two')
  const two = (await sc.waitFor('message:new', 2))[1]
  t.equal(two.content, 'two')
  t.same(sx.of('message:new'), [], 'non-members get nothing')

  // read receipts: to the reader's own devices only
  rooms.length = 0
  users.length = 0
  t.match(await sb.call('message:read', { conversationId: channelId, seq: 2 }), { ok: true, data: { readSeq: 2 } })
  await sb2.waitFor('message:read')
  t.same(users, [['message:read', bob!.id]])
  t.same(rooms, [])
  t.match(await sb.call('message:delivered', { conversationId: channelId, seq: 2 }), { ok: true })
  // typing is accepted from members and not relayed
  t.match(await sb.call('typing', { conversationId: channelId, typing: true }), { ok: true })

  // changes: edit and reaction through the room
  const mine = await sb.call('message:send', { conversationId: channelId, clientMsgId: randomUUID(), type: 'text', content: 'typo' })
  t.equal(mine.ok, true)
  rooms.length = 0
  users.length = 0
  t.match(await sb.call('message:edit', { messageId: mine.data.id, content: 'fixed' }), { ok: true })
  t.match(await sc.call('reaction:add', { messageId: mine.data.id, emoji: '👍' }), { ok: true })
  t.match(await sc.call('reaction:add', { messageId: mine.data.id, emoji: '👍' }), { ok: true })
  t.match(await sb.call('reaction:add', { messageId: mine.data.id, emoji: '👍' }), { ok: true })
  await sc.waitFor('message:updated', 3)
  t.same(rooms, Array(3).fill(`message:updated@channel:${channelId}`))
  t.same(users, [])
  t.match(await sb.call('message:recall', { messageId: mine.data.id }), { ok: true })
  await sc.waitFor('message:recalled')
  t.same(sx.of('message:updated'), [])
  t.same(sb.of('typing').concat(sc.of('typing')), [], 'no typing relayed in a channel')
  realtime.toRoom = toRoom
  realtime.toUsers = toUsers
})

t.test('unread counts and read cursors work for channel members', async (t) => {
  const app = await build(t)
  const [owner, bob] = await makeUsers(app, 2)
  const channelId = await makeChannel(app, owner!)
  await send(app, owner!, channelId, 'before bob')
  t.match((await join(app, bob!, channelId)).json(), { lastSeq: 2, readSeq: 2, unread: 0 }, 'a newcomer starts caught up, past their own join notice')
  const [notice] = (await app.inject({ method: 'GET', url: `/api/conversations/${channelId}/messages?limit=1`, headers: bob!.auth })).json().messages
  t.match(notice, { seq: 2, type: 'system', senderId: bob!.id, content: { event: 'member_joined', actorId: bob!.id } })
  for (let i = 0; i < 3; i++) await send(app, owner!, channelId)
  const entry = async () => (await app.inject({ method: 'GET', url: '/api/conversations', headers: bob!.auth })).json().find((c: any) => c.id === channelId)
  t.match(await entry(), { unread: 3, readSeq: 2, lastSeq: 5 })
  const ownerEntry = (await app.inject({ method: 'GET', url: '/api/conversations', headers: owner!.auth })).json().find((c: any) => c.id === channelId)
  t.equal(ownerEntry.unread, 0, 'a join notice is never unread')
  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${channelId}/read`, headers: bob!.auth, payload: { seq: 4 } })).statusCode, 200)
  t.match(await entry(), { unread: 1, readSeq: 4 })
  await send(app, bob!, channelId)
  t.match(await entry(), { unread: 0, readSeq: 6 }, 'own message moves the cursor')
})

t.test('leaving with DELETE /groups/:id/members/me: out of the room, heir is the oldest admin, else the oldest member', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol] = await makeUsers(app, 3)
  const channelId = await makeChannel(app, owner!)
  await join(app, bob!, channelId)
  await join(app, carol!, channelId)
  const sb = await connect(t, url, bob!)
  const leave = await app.inject({ method: 'DELETE', url: `/api/groups/${channelId}/members/me`, headers: bob!.auth })
  t.equal(leave.statusCode, 200)
  t.match(leave.json(), { id: channelId, type: 'channel', memberCount: 2 })
  await sb.waitFor('conversation:updated')
  await settle(50)
  await send(app, owner!, channelId, 'after bob left')
  await settle(200)
  t.same(sb.of('message:new').filter((m: any) => m.type !== 'system'), [], 'a leaver gets no more messages')
  const history = (await app.inject({ method: 'GET', url: `/api/conversations/${channelId}/messages`, headers: owner!.auth })).json().messages
  t.ok(history.some((m: any) => m.type === 'system' && m.content.event === 'member_left' && m.content.actorId === bob!.id), 'a member_left notice')
  t.equal(await memberCount(app, channelId), 2)
  t.equal((await send(app, bob!, channelId)).json().error.code, 'FORBIDDEN')

  // carol is promoted to admin (directly: the role route is the groups' work), then the owner leaves
  await join(app, bob!, channelId)
  await app.prisma.conversationMember.update({ where: { conversationId_userId: { conversationId: channelId, userId: carol!.id } }, data: { role: 'admin' } })
  t.equal((await app.inject({ method: 'DELETE', url: `/api/groups/${channelId}/members/me`, headers: owner!.auth })).statusCode, 200)
  const c = await app.prisma.conversation.findUniqueOrThrow({ where: { id: channelId } })
  t.equal(c.ownerId, carol!.id, 'the admin inherits, not the older plain member')
  // an admin removes a plain member
  t.equal((await app.inject({ method: 'DELETE', url: `/api/groups/${channelId}/members/${bob!.id}`, headers: carol!.auth })).statusCode, 200)
  // the last member leaves: the channel is gone
  const last = await app.inject({ method: 'DELETE', url: `/api/groups/${channelId}/members/me`, headers: carol!.auth })
  t.match(last.json(), { id: channelId, type: 'channel', members: [] })
  t.equal(await app.prisma.conversation.count({ where: { id: channelId } }), 0)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/groups/${channelId}/members/me`, headers: carol!.auth })).json().error.code, 'NOT_FOUND')
})

t.test('a socket that connects later joins its channels at connect', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob] = await makeUsers(app, 2)
  const a = await makeChannel(app, owner!)
  const b = await makeChannel(app, owner!)
  await join(app, bob!, a)
  await join(app, bob!, b)
  const sb = await connect(t, url, bob!)
  await send(app, owner!, a, 'to a')
  await send(app, owner!, b, 'to b')
  await until(() => sb.of('message:new').filter((m: any) => m.type === 'text').length === 2)
  t.same(new Set(sb.of('message:new').filter((m: any) => m.type === 'text').map((m: any) => m.conversationId)), new Set([a, b]))
})

t.test('two nodes: channel rooms work across nodes (join, delivery, leave)', { skip: servicesMode ? false : 'needs PostgreSQL and Redis (TEST_SERVICES=1)' }, async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const n1 = await listen(t, {}, { databaseUrl })
  const n2 = await listen(t, {}, { databaseUrl })
  const [owner, bob] = await makeUsers(n1.app, 2)
  const channelId = await makeChannel(n1.app, owner!)
  const so = await connect(t, n2.url, owner!)
  const sb = await connect(t, n2.url, bob!)
  // bob joins through node 1 while his socket is on node 2
  t.equal((await join(n1.app, bob!, channelId)).statusCode, 200)
  await sb.waitFor('conversation:updated')
  await settle(300)
  await send(n1.app, owner!, channelId, 'across')
  await until(() => sb.of('message:new').some((m: any) => m.content === 'across'))
  await until(() => so.of('message:new').some((m: any) => m.content === 'across'))
  // leave through node 1: node 2's socket leaves the room
  t.equal((await n1.app.inject({ method: 'DELETE', url: `/api/groups/${channelId}/members/me`, headers: bob!.auth })).statusCode, 200)
  await settle(300)
  await send(n1.app, owner!, channelId, 'after')
  await until(() => so.of('message:new').some((m: any) => m.content === 'after'))
  await settle(200)
  t.notOk(sb.of('message:new').some((m: any) => m.content === 'after'), 'bob got nothing after leaving')
})

t.test('a channel has a profile and roles like a group: owner and admins rename it, the owner promotes and transfers; members are told through the room', async (t) => {
  const { app, url } = await listen(t)
  const [owner, alice, bob] = await makeUsers(app, 3)
  const c = await makeChannel(app, owner!, 'old name')
  for (const u of [alice!, bob!]) t.equal((await join(app, u, c)).statusCode, 200)
  const sb = await connect(t, url, bob!)
  const patch = async (u: User, body: Record<string, unknown>) => await app.inject({ method: 'PATCH', url: `/api/groups/${c}`, headers: u.auth, payload: body })
  const role = async (u: User, target: User, r: string) => await app.inject({ method: 'PUT', url: `/api/groups/${c}/members/${target.id}/role`, headers: u.auth, payload: { role: r } })

  t.equal((await patch(alice!, { name: 'by a member' })).json().error?.code, 'FORBIDDEN', 'a plain member cannot rename')
  const renamed = await patch(owner!, { name: 'new name', topic: 'the topic' })
  t.equal(renamed.statusCode, 200, renamed.body)
  t.match(renamed.json(), { type: 'channel', name: 'new name', topic: 'the topic', members: [] })
  await until(() => sb.of('conversation:updated').some((v: any) => v.id === c && v.name === 'new name'), 10_000, 'the rename reaches a member')
  t.equal(sb.of('conversation:updated').find((v: any) => v.id === c && v.name === 'new name').topic, 'the topic', 'a member hears it (through the channel room)')
  await until(() => sb.of('message:new').some((m: any) => m.type === 'system' && m.content.event === 'renamed'), 10_000, 'the rename notice')
  t.equal(sb.of('message:new').find((m: any) => m.type === 'system' && m.content.event === 'renamed').content.name, 'new name')

  t.equal((await role(alice!, bob!, 'admin')).json().error?.code, 'FORBIDDEN', 'only the owner promotes')
  t.equal((await role(owner!, alice!, 'admin')).statusCode, 200)
  t.equal((await patch(alice!, { topic: 'set by an admin' })).statusCode, 200, 'an admin edits the profile')
  t.equal((await app.inject({ method: 'POST', url: `/api/groups/${c}/transfer`, headers: alice!.auth, payload: { userId: bob!.id } })).json().error?.code, 'FORBIDDEN', 'a non-owner cannot transfer')
  const moved = await app.inject({ method: 'POST', url: `/api/groups/${c}/transfer`, headers: owner!.auth, payload: { userId: bob!.id } })
  t.equal(moved.statusCode, 200, moved.body)
  t.equal(moved.json().ownerId, bob!.id)
  const roles = await app.prisma.conversationMember.findMany({ where: { conversationId: c }, select: { userId: true, role: true } })
  t.same(Object.fromEntries(roles.map((r) => [r.userId, r.role])), { [owner!.id]: 'admin', [alice!.id]: 'admin', [bob!.id]: 'owner' })
  const nonMember = (await makeUsers(app, 1))[0]!
  t.equal((await patch(nonMember, { name: 'outsider' })).json().error?.code, 'NOT_FOUND', 'a non-member learns nothing')
})
