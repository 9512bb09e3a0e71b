import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../../helper.js'
import { makeGroup, makeUsers, text, type User } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

type App = Awaited<ReturnType<typeof build>>

const req = async (app: App, method: string, path: string, user: User, payload?: unknown) =>
  await app.inject({ method: method as 'POST', url: `/api${path}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })

async function ok (app: App, method: string, path: string, user: User, payload?: unknown): Promise<any> {
  const res = await req(app, method, path, user, payload)
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? undefined : res.json()
}

async function channel (app: App, owner: User, joiners: User[]): Promise<string> {
  const id = (await ok(app, 'POST', '/channels', owner, { name: `c ${randomUUID().slice(0, 8)}` })).id as string
  for (const u of joiners) await ok(app, 'POST', `/channels/${id}/join`, u)
  return id
}

t.test('a member removed from a channel cannot join again nor post until unbanned; one who left may', async (t) => {
  const app = await build(t)
  const [O, A, R, L] = await makeUsers(app, 4) as [User, User, User, User]
  const c = await channel(app, O, [A, R, L])
  await ok(app, 'PUT', `/groups/${c}/members/${A.id}/role`, O, { role: 'admin' })
  await ok(app, 'DELETE', `/groups/${c}/members/${R.id}`, A)

  await refused(t, app, 'FORBIDDEN', 'the removed member joins again', async () => await req(app, 'POST', `/channels/${c}/join`, R))
  await refused(t, app, 'FORBIDDEN', 'and cannot post', async () => await req(app, 'POST', `/conversations/${c}/messages`, R, text('back')))

  const bans = await ok(app, 'GET', `/groups/${c}/bans`, O)
  t.same(bans.map((b: any) => [b.user.id, b.user.username, b.bannedBy]), [[R.id, R.username, A.id]], 'the owner sees the ban, by whom')
  t.ok(Number.isFinite(Date.parse(bans[0].bannedAt)))
  t.equal((await req(app, 'GET', `/groups/${c}/bans`, A)).statusCode, 200, 'an admin sees the bans too')
  await refused(t, app, 'FORBIDDEN', 'a plain member lists bans', async () => await req(app, 'GET', `/groups/${c}/bans`, L))
  await refused(t, app, 'NOT_FOUND', 'a non-member (the banned one) lists bans', async () => await req(app, 'GET', `/groups/${c}/bans`, R))
  await refused(t, app, 'FORBIDDEN', 'a plain member unbans', async () => await req(app, 'DELETE', `/groups/${c}/bans/${R.id}`, L))
  await refused(t, app, 'NOT_FOUND', 'the banned user unbans themselves', async () => await req(app, 'DELETE', `/groups/${c}/bans/${R.id}`, R))
  await refused(t, app, 'NOT_FOUND', 'unbanning someone not banned', async () => await req(app, 'DELETE', `/groups/${c}/bans/${L.id}`, O))
  await refused(t, app, 'NOT_FOUND', 'an unknown channel', async () => await req(app, 'DELETE', `/groups/${randomUUID()}/bans/${R.id}`, O))

  await ok(app, 'DELETE', `/groups/${c}/members/me`, L)
  t.equal((await req(app, 'POST', `/channels/${c}/join`, L)).statusCode, 200, 'leaving on one\'s own is no ban')

  t.equal((await req(app, 'DELETE', `/groups/${c}/bans/${R.id}`, A)).statusCode, 204, 'an admin unbans')
  t.same(await ok(app, 'GET', `/groups/${c}/bans`, O), [], 'the list is empty')
  t.equal((await req(app, 'POST', `/channels/${c}/join`, R)).statusCode, 200, 'unbanned: joins again')
  t.equal((await req(app, 'POST', `/conversations/${c}/messages`, R, text('back'))).statusCode, 201, 'and posts')
})

t.test('a ban in a group: no invite lets the user back, old or new; unbanning or adding them back does', async (t) => {
  const app = await build(t)
  const [O, R, S] = await makeUsers(app, 3) as [User, User, User]
  const g = await makeGroup(app, O, [R, S])
  const old = await ok(app, 'POST', `/groups/${g}/invites`, O, {})
  await ok(app, 'DELETE', `/groups/${g}/members/${R.id}`, O)
  await ok(app, 'DELETE', `/groups/${g}/members/${S.id}`, O)
  const fresh = await ok(app, 'POST', `/groups/${g}/invites`, O, {})
  await refused(t, app, 'FORBIDDEN', 'an invite made before the removal', async () => await req(app, 'POST', `/invites/${old.code}/join`, R))
  await refused(t, app, 'FORBIDDEN', 'an invite made after it', async () => await req(app, 'POST', `/invites/${fresh.code}/join`, R))
  t.same((await ok(app, 'GET', `/groups/${g}/bans`, O)).map((b: any) => b.user.id).sort(), [R.id, S.id].sort())
  await ok(app, 'DELETE', `/groups/${g}/bans/${R.id}`, O)
  t.equal((await req(app, 'POST', `/invites/${fresh.code}/join`, R)).statusCode, 200, 'unbanned: the invite works')
  await ok(app, 'POST', `/groups/${g}/members`, O, { userIds: [S.id] })
  t.same(await ok(app, 'GET', `/groups/${g}/bans`, O), [], 'adding a banned user back lifts the ban')
})

t.test('the owner lists the group\'s live invites (maker, time, uses, expiry; no code) and revokes one by id', async (t) => {
  const app = await build(t)
  const [O, A, M, J] = await makeUsers(app, 4) as [User, User, User, User]
  const g = await makeGroup(app, O, [A, M])
  await ok(app, 'PUT', `/groups/${g}/members/${A.id}/role`, O, { role: 'admin' })
  const mine = await ok(app, 'POST', `/groups/${g}/invites`, O, { maxUses: 3 })
  const theirs = await ok(app, 'POST', `/groups/${g}/invites`, A, { expiresInS: 3600 })
  t.match(theirs, { id: String, code: String })
  await ok(app, 'POST', `/invites/${theirs.code}/join`, J)

  const list = await ok(app, 'GET', `/groups/${g}/invites`, O)
  t.same(list.map((i: any) => [i.id, i.createdBy, i.uses, i.maxUses, i.expiresAt !== null]), [[theirs.id, A.id, 1, null, true], [mine.id, O.id, 0, 3, false]], 'newest first')
  t.notOk(JSON.stringify(list).includes(mine.code) || JSON.stringify(list).includes(theirs.code), 'no code is shown')
  t.equal((await req(app, 'GET', `/groups/${g}/invites`, A)).statusCode, 200, 'an admin lists them too')
  await refused(t, app, 'FORBIDDEN', 'a plain member lists invites', async () => await req(app, 'GET', `/groups/${g}/invites`, M))
  await refused(t, app, 'NOT_FOUND', 'an outsider lists invites', async () => await req(app, 'GET', `/groups/${randomUUID()}/invites`, O))
  await refused(t, app, 'NOT_FOUND', 'revoking an unknown id', async () => await req(app, 'DELETE', `/groups/${g}/invites/${randomUUID()}`, O))
  const other = await makeGroup(app, M, [])
  const elsewhere = await ok(app, 'POST', `/groups/${other}/invites`, M, {})
  await refused(t, app, 'NOT_FOUND', 'revoking another group\'s invite by id', async () => await req(app, 'DELETE', `/groups/${g}/invites/${elsewhere.id}`, O))

  t.equal((await req(app, 'DELETE', `/groups/${g}/invites/${theirs.id.toUpperCase()}`, O)).statusCode, 204, 'revoked by id')
  t.equal((await req(app, 'GET', `/invites/${theirs.code}`, M)).statusCode, 404, 'the link is dead')
  t.same((await ok(app, 'GET', `/groups/${g}/invites`, O)).map((i: any) => i.id), [mine.id], 'and off the list')
  t.equal((await req(app, 'DELETE', `/groups/${g}/invites/${theirs.id}`, O)).statusCode, 204, 'revoking again is a no-op')
})

t.test('an admin demoted or removed loses the invites they made; the owner\'s stay', async (t) => {
  const app = await build(t)
  const [O, A, B, J] = await makeUsers(app, 4) as [User, User, User, User]
  const g = await makeGroup(app, O, [A, B])
  await ok(app, 'PUT', `/groups/${g}/members/${A.id}/role`, O, { role: 'admin' })
  await ok(app, 'PUT', `/groups/${g}/members/${B.id}/role`, O, { role: 'admin' })
  const byA = await ok(app, 'POST', `/groups/${g}/invites`, A, {})
  const byB = await ok(app, 'POST', `/groups/${g}/invites`, B, {})
  const byO = await ok(app, 'POST', `/groups/${g}/invites`, O, {})

  await ok(app, 'PUT', `/groups/${g}/members/${A.id}/role`, O, { role: 'member' })
  t.equal((await req(app, 'GET', `/invites/${byA.code}`, J)).statusCode, 404, 'the demoted admin\'s link: preview NOT_FOUND')
  t.equal((await req(app, 'POST', `/invites/${byA.code}/join`, J)).statusCode, 404, 'join NOT_FOUND')
  await ok(app, 'DELETE', `/groups/${g}/members/${B.id}`, O)
  t.equal((await req(app, 'POST', `/invites/${byB.code}/join`, J)).statusCode, 404, 'the removed admin\'s link is dead')
  t.equal((await req(app, 'POST', `/invites/${byO.code}/join`, J)).statusCode, 200, 'the owner\'s link still works')
  t.same((await ok(app, 'GET', `/groups/${g}/invites`, O)).map((i: any) => i.id), [byO.id])
})

t.test('an admin who leaves loses their invites too', async (t) => {
  const app = await build(t)
  const [O, A, J] = await makeUsers(app, 3) as [User, User, User]
  const g = await makeGroup(app, O, [A])
  await ok(app, 'PUT', `/groups/${g}/members/${A.id}/role`, O, { role: 'admin' })
  const byA = await ok(app, 'POST', `/groups/${g}/invites`, A, {})
  await ok(app, 'DELETE', `/groups/${g}/members/me`, A)
  t.equal((await req(app, 'POST', `/invites/${byA.code}/join`, J)).statusCode, 404)
})

t.test('PUT /groups/:id/bans/:userId: one who left before being removed can be banned; a member is removed; the removal rules hold', async (t) => {
  const app = await build(t)
  const [O, A, B, S, M] = await makeUsers(app, 5) as [User, User, User, User, User]
  const c = await channel(app, O, [A, B, S, M])
  await ok(app, 'PUT', `/groups/${c}/members/${A.id}/role`, O, { role: 'admin' })
  await ok(app, 'PUT', `/groups/${c}/members/${B.id}/role`, O, { role: 'admin' })
  await ok(app, 'DELETE', `/groups/${c}/members/me`, S)

  t.equal((await req(app, 'PUT', `/groups/${c}/bans/${S.id}`, A)).statusCode, 204, 'an admin bans one who already left')
  await refused(t, app, 'FORBIDDEN', 'who then cannot join', async () => await req(app, 'POST', `/channels/${c}/join`, S))
  t.equal((await req(app, 'PUT', `/groups/${c}/bans/${M.id}`, A)).statusCode, 204, 'banning a member removes them')
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: c, userId: M.id } }), 0)
  const notice = await app.prisma.message.findFirst({ where: { conversationId: c, type: 'system' }, orderBy: { seq: 'desc' } })
  t.match(notice?.content, { event: 'member_removed', actorId: A.id, userIds: [M.id] }, 'with the removal notice')
  await refused(t, app, 'FORBIDDEN', 'an admin bans another admin', async () => await req(app, 'PUT', `/groups/${c}/bans/${B.id}`, A))
  await refused(t, app, 'FORBIDDEN', 'an admin bans the owner', async () => await req(app, 'PUT', `/groups/${c}/bans/${O.id}`, A))
  await refused(t, app, 'VALIDATION', 'banning oneself', async () => await req(app, 'PUT', `/groups/${c}/bans/${A.id}`, A))
  await refused(t, app, 'NOT_FOUND', 'an unknown user', async () => await req(app, 'PUT', `/groups/${c}/bans/${randomUUID()}`, O))
  await refused(t, app, 'NOT_FOUND', 'a non-member bans', async () => await req(app, 'PUT', `/groups/${c}/bans/${O.id}`, S))
  const [P] = await makeUsers(app, 1) as [User]
  await ok(app, 'POST', `/channels/${c}/join`, P)
  await refused(t, app, 'FORBIDDEN', 'a plain member bans', async () => await req(app, 'PUT', `/groups/${c}/bans/${S.id}`, P))
  t.same((await ok(app, 'GET', `/groups/${c}/bans`, O)).map((b: any) => b.user.id).sort(), [S.id, M.id].sort())
})
