import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, listen } from '../../helper.js'
import { INVITE_CODE_BITS, inviteHash } from '../../../src/modules/groups/index.js'
import { connect, directPair, makeGroup, makeUsers, type User } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

type App = Awaited<ReturnType<typeof build>>

const req = async (app: App, method: string, path: string, user: User, payload?: unknown) =>
  await app.inject({ method: method as 'POST', url: `/api${path}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })

async function invite (app: App, user: User, g: string, body: unknown = {}): Promise<any> {
  const res = await req(app, 'POST', `/groups/${g}/invites`, user, body)
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json()
}

t.test('create, preview, join: the joiner becomes a member, members are told, uses counted', async (t) => {
  const { app, url } = await listen(t)
  const [O, A, M, J, K] = await makeUsers(app, 5) as [User, User, User, User, User]
  const g = await makeGroup(app, O, [A, M], 'Book club')
  await req(app, 'PUT', `/groups/${g}/members/${A.id}/role`, O, { role: 'admin' })
  await req(app, 'PATCH', `/groups/${g}`, O, { topic: 'Novels' })
  const sm = await connect(t, url, M)

  t.ok(INVITE_CODE_BITS >= 128, `${INVITE_CODE_BITS} random bits`)
  const inv = await invite(app, A, g, { expiresInS: 3600, maxUses: 2 })
  t.match(inv, { code: /^[A-Za-z0-9_-]{32}$/, conversationId: g, maxUses: 2, uses: 0, expiresAt: String })
  t.ok(Math.abs(new Date(inv.expiresAt).getTime() - Date.now() - 3600_000) < 60_000)
  const row = await app.prisma.groupInvite.findFirstOrThrow({ where: { conversationId: g } })
  t.equal(row.codeHash, inviteHash(inv.code), 'only the hash is stored')
  t.notOk(JSON.stringify(row).includes(inv.code), 'not the code')
  const noBody = await app.inject({ method: 'POST', url: `/api/groups/${g}/invites`, headers: O.auth })
  t.equal(noBody.statusCode, 201, 'no body: no expiry, no limit')
  t.match(noBody.json(), { expiresAt: null, maxUses: null })

  const preview = await req(app, 'GET', `/invites/${inv.code}`, J)
  t.equal(preview.statusCode, 200)
  t.same(preview.json(), { conversation: { id: g, name: 'Book club', topic: 'Novels', memberCount: 3 } })

  const joined = await req(app, 'POST', `/invites/${inv.code}/join`, J)
  t.equal(joined.statusCode, 200)
  t.match(joined.json(), { id: g, type: 'group', unread: 0 })
  t.ok(joined.json().members.some((m: any) => m.id === J.id && m.role === 'member'))
  const [live] = await sm.waitFor('message:new')
  t.match(live, { type: 'system', content: { event: 'member_joined', actorId: J.id } })
  t.equal((await sm.waitFor('conversation:updated'))[0].members.length, 4)

  const again = await req(app, 'POST', `/invites/${inv.code}/join`, J)
  t.equal(again.statusCode, 200, 'joining again: the conversation, idempotent')
  t.equal((await app.prisma.groupInvite.findFirstOrThrow({ where: { id: row.id } })).uses, 1, 'a member joining again uses nothing')
  t.equal((await req(app, 'POST', `/invites/${inv.code}/join`, K)).statusCode, 200)
  const [late] = await makeUsers(app, 1) as [User]
  await refused(t, app, 'NOT_FOUND', 'used up', async () => await req(app, 'POST', `/invites/${inv.code}/join`, late))
  await refused(t, app, 'NOT_FOUND', 'used up: no preview either', async () => await req(app, 'GET', `/invites/${inv.code}`, J))
})

t.test('expired, revoked, malformed and unknown codes are NOT_FOUND and write nothing', async (t) => {
  const app = await build(t)
  const [O, A, M, J] = await makeUsers(app, 4) as [User, User, User, User]
  const g = await makeGroup(app, O, [A, M])
  await req(app, 'PUT', `/groups/${g}/members/${A.id}/role`, O, { role: 'admin' })
  const expired = await invite(app, O, g, { expiresInS: 60 })
  await app.prisma.groupInvite.updateMany({ where: { codeHash: inviteHash(expired.code) }, data: { expiresAt: new Date(Date.now() - 1000) } })
  await refused(t, app, 'NOT_FOUND', 'expired: join', async () => await req(app, 'POST', `/invites/${expired.code}/join`, J))
  await refused(t, app, 'NOT_FOUND', 'expired: preview', async () => await req(app, 'GET', `/invites/${expired.code}`, J))

  const revoked = await invite(app, O, g)
  await refused(t, app, 'FORBIDDEN', 'a member cannot revoke', async () => await req(app, 'DELETE', `/groups/${g}/invites/${revoked.code}`, M))
  await refused(t, app, 'FORBIDDEN', 'a member cannot create', async () => await req(app, 'POST', `/groups/${g}/invites`, M, {}))
  await refused(t, app, 'NOT_FOUND', 'a stranger cannot create', async () => await req(app, 'POST', `/groups/${g}/invites`, J, {}))
  await refused(t, app, 'NOT_FOUND', 'a stranger cannot revoke', async () => await req(app, 'DELETE', `/groups/${g}/invites/${revoked.code}`, J))
  t.equal((await req(app, 'DELETE', `/groups/${g}/invites/${revoked.code}`, A)).statusCode, 204, 'an admin revokes')
  t.equal((await req(app, 'DELETE', `/groups/${g}/invites/${revoked.code}`, O)).statusCode, 204, 'revoking again: a no-op')
  await refused(t, app, 'NOT_FOUND', 'revoked: join', async () => await req(app, 'POST', `/invites/${revoked.code}/join`, J))
  await refused(t, app, 'NOT_FOUND', 'revoked: preview', async () => await req(app, 'GET', `/invites/${revoked.code}`, J))

  const other = await makeGroup(app, O, [])
  const live = await invite(app, O, g)
  await refused(t, app, 'NOT_FOUND', 'revoking through another group', async () => await req(app, 'DELETE', `/groups/${other}/invites/${live.code}`, O))
  for (const code of ['x', 'A'.repeat(31), 'A'.repeat(33), `${live.code.slice(0, 31)}!`, 'A'.repeat(32), encodeURIComponent('../../etc'), 'é'.repeat(32)]) {
    await refused(t, app, 'NOT_FOUND', `code ${code.slice(0, 12)}: join`, async () => await req(app, 'POST', `/invites/${code}/join`, J))
    await refused(t, app, 'NOT_FOUND', `code ${code.slice(0, 12)}: preview`, async () => await req(app, 'GET', `/invites/${code}`, J))
  }
  await refused(t, app, 'NOT_FOUND', 'revoking a malformed code', async () => await req(app, 'DELETE', `/groups/${g}/invites/nope`, O))
  for (const body of [{ expiresInS: 10 }, { expiresInS: 1.5 }, { maxUses: 0 }, { maxUses: -1 }, { maxUses: 'many' }, { extra: true }]) {
    await refused(t, app, 'VALIDATION', `create ${JSON.stringify(body)}`, async () => await req(app, 'POST', `/groups/${g}/invites`, O, body))
  }
  const { a, conversationId: direct } = await directPair(app)
  await refused(t, app, 'NOT_FOUND', 'an invite to a direct conversation', async () => await req(app, 'POST', `/groups/${direct}/invites`, a, {}))
  await refused(t, app, 'NOT_FOUND', 'an unknown group', async () => await req(app, 'POST', `/groups/${randomUUID()}/invites`, a, {}))
})

t.test('a user removed by an admin cannot come back through any invite (a ban, test/modules/groups/bans.test.ts); one who left can', async (t) => {
  const app = await build(t)
  const [O, R, L] = await makeUsers(app, 3) as [User, User, User]
  const g = await makeGroup(app, O, [R, L])
  const old = await invite(app, O, g)
  t.equal((await req(app, 'DELETE', `/groups/${g}/members/${R.id}`, O)).statusCode, 200)
  await refused(t, app, 'FORBIDDEN', 'the removed user with the older invite', async () => await req(app, 'POST', `/invites/${old.code}/join`, R))
  t.equal((await req(app, 'DELETE', `/groups/${g}/members/me`, L)).statusCode, 200)
  t.equal((await req(app, 'POST', `/invites/${old.code}/join`, L)).statusCode, 200, 'one who left on their own may come back')
  const fresh = await invite(app, O, g)
  await refused(t, app, 'FORBIDDEN', 'a newer invite does not let them in either', async () => await req(app, 'POST', `/invites/${fresh.code}/join`, R))
})

t.test('a full group: CONFLICT; maxUses holds under concurrent joins', async (t) => {
  const app = await build(t, { GROUP_MAX_MEMBERS: 4 })
  const [O, ...rest] = await makeUsers(app, 7) as User[]
  const g = await makeGroup(app, O!, [])
  const inv = await invite(app, O!, g, { maxUses: 2 })
  const results = await Promise.all(rest.slice(0, 4).map(async (u) => (await req(app, 'POST', `/invites/${inv.code}/join`, u)).statusCode))
  t.same(results.sort(), [200, 200, 404, 404], 'two uses, two refused')
  const unlimited = await invite(app, O!, g)
  t.equal((await req(app, 'POST', `/invites/${unlimited.code}/join`, rest[4]!)).statusCode, 200)
  await refused(t, app, 'CONFLICT', 'the group is full', async () => await req(app, 'POST', `/invites/${unlimited.code}/join`, rest[5]!))
})

t.test('the join and preview routes are rate limited per user', async (t) => {
  const app = await build(t, { INVITE_RATE_LIMIT_MAX: 3 })
  const [U, V] = await makeUsers(app, 2) as [User, User]
  const code = 'A'.repeat(32)
  for (const [method, path] of [['GET', `/invites/${code}`], ['POST', `/invites/${code}/join`]] as const) {
    for (let i = 0; i < 3; i++) t.equal((await req(app, method, path, U)).statusCode, 404, `${method} ${i + 1}`)
    const limited = await req(app, method, path, U)
    t.equal(limited.statusCode, 429, `${method}: the 4th in the window`)
    t.equal(limited.json().error.code, 'RATE_LIMITED')
    t.equal((await req(app, method, path, V)).statusCode, 404, 'another user has their own budget')
  }
})
