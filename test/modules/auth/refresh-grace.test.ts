import t from 'tap'
import { createHash } from 'node:crypto'
import { build, registerUser, type TestUser } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { makeAdmin } from '../admin/helpers.js'

/**
 * Refresh-token reuse within REFRESH_REUSE_GRACE_S of its rotation (two tabs refreshing with
 * the same stored token, a response lost on the way) gets the same successor again; anything
 * else that presents a spent or revoked token still ends the session.
 */
let n = 0
const uname = (): string => `rg${process.pid % 100000}_${++n}_${Math.floor(Math.random() * 1e6)}`
const PASSWORD = 'correct horse battery'
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

interface Answer { status: number, code?: string, accessToken?: string, refreshToken?: string }

async function refresh (app: App, refreshToken: string): Promise<Answer> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } })
  const body = res.json()
  return { status: res.statusCode, code: body.error?.code, accessToken: body.accessToken, refreshToken: body.refreshToken }
}

const me = async (app: App, token: string): Promise<number> =>
  (await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${token}` } })).statusCode

const familyOf = async (app: App, token: string): Promise<string> =>
  (await app.prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: sha256(token) } })).familyId

const familyRows = async (app: App, familyId: string) => await app.prisma.refreshToken.findMany({ where: { familyId } })

/** Rotates `u`'s first refresh token once; returns the successor. */
async function rotated (app: App, u: TestUser): Promise<string> {
  const first = await refresh(app, u.refreshToken)
  if (first.status !== 200) throw new Error(`refresh failed: ${first.status}`)
  return first.refreshToken!
}

/** Moves the rotation of `token` into the past, as if `seconds` had gone by. */
async function ageRotation (app: App, token: string, seconds: number): Promise<void> {
  await app.prisma.refreshToken.update({ where: { tokenHash: sha256(token) }, data: { rotatedAt: new Date(Date.now() - seconds * 1000) } })
}

t.test('a second use within the grace gets the same refresh token and a working access token', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const next = await rotated(app, u)
  const again = await refresh(app, u.refreshToken)
  t.equal(again.status, 200)
  t.equal(again.refreshToken, next, 'the same successor, not a new branch of the family')
  t.equal(await me(app, again.accessToken!), 200, 'the access token works')
  t.equal((await familyRows(app, await familyOf(app, next))).length, 2, 'no row added by the second use')
  t.equal((await refresh(app, u.refreshToken)).refreshToken, next, 'a third use within the grace too')
  const onward = await refresh(app, next)
  t.equal(onward.status, 200, 'the successor still rotates')
  t.ok((await familyRows(app, await familyOf(app, next))).every((r) => r.revokedAt === null), 'nothing revoked')
})

t.test('the same token twice at the same instant: both succeed with the same refresh token', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const answers = await Promise.all([1, 2, 3].map(async () => await refresh(app, u.refreshToken)))
  t.same(answers.map((a) => a.status), [200, 200, 200])
  const tokens = new Set(answers.map((a) => a.refreshToken))
  t.equal(tokens.size, 1, 'one successor for all')
  for (const a of answers) t.equal(await me(app, a.accessToken!), 200)
  const family = await familyRows(app, await familyOf(app, u.refreshToken))
  t.equal(family.length, 2, 'one rotation')
  t.ok(family.every((r) => r.revokedAt === null))
  t.equal((await refresh(app, [...tokens][0]!)).status, 200, 'and it rotates in turn')
})

t.test('after the grace a reuse revokes the family, successor included', async (t) => {
  const app = await build(t, { REFRESH_REUSE_GRACE_S: 5 })
  const u = await registerUser(app, uname(), PASSWORD)
  const next = await rotated(app, u)
  await ageRotation(app, u.refreshToken, 6)
  const reuse = await refresh(app, u.refreshToken)
  t.equal(reuse.status, 401)
  t.equal(reuse.code, 'UNAUTHORIZED')
  t.equal((await refresh(app, next)).status, 401, 'the successor is dead too')
  const family = await familyRows(app, await familyOf(app, next))
  t.equal(family.length, 2, 'nothing issued')
  t.ok(family.every((r) => r.revokedAt !== null))
})

t.test('just inside the grace still works; REFRESH_REUSE_GRACE_S=0 turns it off', async (t) => {
  const app = await build(t, { REFRESH_REUSE_GRACE_S: 5 })
  const u = await registerUser(app, uname(), PASSWORD)
  const next = await rotated(app, u)
  await ageRotation(app, u.refreshToken, 4)
  t.equal((await refresh(app, u.refreshToken)).refreshToken, next)

  const strict = await build(t, { REFRESH_REUSE_GRACE_S: 0 })
  const v = await registerUser(strict, uname(), PASSWORD)
  const vNext = await rotated(strict, v)
  t.equal((await refresh(strict, v.refreshToken)).status, 401, 'an immediate reuse is refused')
  t.equal((await refresh(strict, vNext)).status, 401, 'and ends the session, as before the grace existed')
})

t.test('a successor already rotated in turn: the old token is stale, not a lost race', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const second = await rotated(app, u)
  const third = (await refresh(app, second)).refreshToken!
  const stale = await refresh(app, u.refreshToken)
  t.equal(stale.status, 401, 'the older pair is not handed out again')
  t.equal(stale.refreshToken, undefined)
  t.equal((await refresh(app, third)).status, 401, 'the family is revoked')
  t.equal((await refresh(app, second)).status, 401, 'the middle token neither')
})

t.test('inside the grace, a token of an ended session does not come back', async (t) => {
  const app = await build(t)

  t.test('logged out (with the successor)', async (t) => {
    const u = await registerUser(app, uname(), PASSWORD)
    const next = await rotated(app, u)
    t.equal((await app.inject({ method: 'POST', url: '/api/auth/logout', payload: { refreshToken: next } })).statusCode, 204)
    t.equal((await refresh(app, u.refreshToken)).status, 401)
    t.equal((await refresh(app, next)).status, 401)
    t.equal((await familyRows(app, await familyOf(app, next))).length, 2, 'nothing issued')
  })

  t.test('logged out (with the old token itself)', async (t) => {
    const u = await registerUser(app, uname(), PASSWORD)
    const next = await rotated(app, u)
    t.equal((await app.inject({ method: 'POST', url: '/api/auth/logout', payload: { refreshToken: u.refreshToken } })).statusCode, 204)
    t.equal((await refresh(app, u.refreshToken)).status, 401)
    t.equal((await refresh(app, next)).status, 401)
  })

  t.test('revoked by a password change', async (t) => {
    const u = await registerUser(app, uname(), PASSWORD)
    const next = await rotated(app, u)
    const res = await app.inject({ method: 'POST', url: '/api/auth/password', headers: u.auth, payload: { currentPassword: PASSWORD, newPassword: 'a brand new secret' } })
    t.equal(res.statusCode, 204)
    t.equal((await refresh(app, u.refreshToken)).status, 401)
    t.equal((await refresh(app, next)).status, 401)
  })

  t.test('the user suspended, and still after the suspension is lifted', async (t) => {
    const admin = await makeAdmin(app)
    const u = await registerUser(app, uname(), PASSWORD)
    const next = await rotated(app, u)
    const res = await app.inject({ method: 'POST', url: `/api/admin/users/${u.id}/suspend`, headers: admin.auth, payload: { reason: 'spam' } })
    t.equal(res.statusCode, 200)
    const whileSuspended = await refresh(app, u.refreshToken)
    t.equal(whileSuspended.status, 403)
    t.equal(whileSuspended.code, 'FORBIDDEN', 'refused as suspended')
    t.equal((await app.inject({ method: 'POST', url: `/api/admin/users/${u.id}/unsuspend`, headers: admin.auth })).statusCode, 200)
    t.equal((await refresh(app, u.refreshToken)).status, 401, 'lifted: the old token was revoked with the suspension')
    t.equal((await refresh(app, next)).status, 401)
  })

  t.test('the family revoked by a reuse elsewhere', async (t) => {
    const u = await registerUser(app, uname(), PASSWORD)
    const second = await rotated(app, u)
    const third = (await refresh(app, second)).refreshToken!
    t.equal((await refresh(app, u.refreshToken)).status, 401, 'stale reuse kills the family')
    t.equal((await refresh(app, second)).status, 401, 'the token rotated a moment ago does not get its successor back')
    t.equal((await refresh(app, third)).status, 401)
  })
})

t.test('a successor that no longer exists cannot be handed out', async (t) => {
  const app = await build(t, { REFRESH_REUSE_GRACE_S: 5 })
  const u = await registerUser(app, uname(), PASSWORD)
  const next = await rotated(app, u)
  // The successor row vanished (an account clean-up): the second use cannot be answered.
  await app.prisma.refreshToken.delete({ where: { tokenHash: sha256(next) } })
  t.equal((await refresh(app, u.refreshToken)).status, 401)
})
