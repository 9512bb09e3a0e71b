// TOTP two-factor sign-in: enrolment, the two-step sign-in, recovery codes, turning it off,
// and the attacks on it (replay, brute force, challenges reused or used for someone else).
// About 25 s under load: ten apps on fresh stores, each walking enrolment and a two-step sign-in.
import t from 'tap'
import { build, registerUser } from '../../helper.js'
import { codeFor, enableTotp, passwordStep, secondStep } from './totp-helpers.js'
import type { App } from '../../../src/app.js'

const me = async (app: App, accessToken: string): Promise<number> =>
  (await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${accessToken}` } })).statusCode
const status = async (app: App, auth: Record<string, string>) =>
  (await app.inject({ method: 'GET', url: '/api/auth/totp', headers: auth })).json() as { enabled: boolean, recoveryCodesLeft: number }

t.test('enrol, confirm, then signing in takes the password and a current code', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  const stolen = await app.inject({ method: 'POST', url: '/api/auth/totp/enrol', headers: u.auth, payload: { password: 'not the password' } })
  t.equal(stolen.statusCode, 403, 'a session without the password cannot enrol (and lock the owner out)')
  t.equal(await app.prisma.totpFactor.count({ where: { userId: u.id } }), 0, 'nothing written')
  const enrol = await app.inject({ method: 'POST', url: '/api/auth/totp/enrol', headers: u.auth, payload: { password: 'correct horse battery' } })
  t.equal(enrol.statusCode, 200)
  const { secret, otpauthUrl } = enrol.json()
  t.match(otpauthUrl, /^otpauth:\/\/totp\/.+secret=/)
  t.same(await status(app, u.auth), { enabled: false, recoveryCodesLeft: 0 }, 'not on before a code confirms it')
  t.ok('accessToken' in (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: 'correct horse battery' } })).json(), 'an unconfirmed enrolment does not change sign-in')

  const wrong = await app.inject({ method: 'POST', url: '/api/auth/totp/confirm', headers: u.auth, payload: { code: (Number(await codeFor(secret)) + 1).toString().padStart(6, '0').slice(-6) } })
  t.equal(wrong.statusCode, 403)
  t.equal(wrong.json().error.code, 'FORBIDDEN')
  t.equal((await status(app, u.auth)).enabled, false, 'a wrong code confirms nothing')

  const confirm = await app.inject({ method: 'POST', url: '/api/auth/totp/confirm', headers: u.auth, payload: { code: await codeFor(secret) } })
  t.equal(confirm.statusCode, 200)
  const { recoveryCodes } = confirm.json() as { recoveryCodes: string[] }
  t.equal(new Set(recoveryCodes).size, 10, 'ten distinct recovery codes')
  for (const c of recoveryCodes) t.match(c, /^[A-Z2-9]{5}-[A-Z2-9]{5}$/)
  t.same(await status(app, u.auth), { enabled: true, recoveryCodesLeft: 10 })
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/totp/enrol', headers: u.auth, payload: { password: 'correct horse battery' } })).statusCode, 409, 'enrolling again while on is a conflict')

  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: 'correct horse battery' } })
  t.equal(login.statusCode, 200)
  const body = login.json()
  t.notOk('accessToken' in body, 'no tokens from the password alone')
  t.same(body.secondFactor.methods, ['totp', 'recovery'])
  t.ok(Date.parse(body.secondFactor.expiresAt) > Date.now())

  const session = await secondStep(app, body.secondFactor.challenge, await codeFor(secret, 1))
  t.equal(session.statusCode, 200)
  t.equal(session.json().user.id, u.id)
  t.equal(await me(app, session.json().accessToken), 200)
})

t.test('the secret is encrypted at rest and bound to its user; recovery codes are stored hashed', async (t) => {
  const app = await build(t)
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  const { secret, recoveryCodes } = await enableTotp(app, alice)
  const row = await app.prisma.totpFactor.findUniqueOrThrow({ where: { userId: alice.id } })
  t.notOk(row.secretEnc.includes(secret), 'the stored value does not hold the secret')
  t.match(row.secretEnc, /^v1\./)
  const hashes = (await app.prisma.totpRecoveryCode.findMany({ where: { userId: alice.id } })).map((r) => r.codeHash)
  t.equal(hashes.length, 10)
  for (const c of recoveryCodes) t.notOk(hashes.some((h) => h.includes(c) || h.includes(c.replace('-', ''))))

  // Alice's ciphertext copied onto Bob's row does not open for Bob: his codes (from her secret) fail.
  await enableTotp(app, bob)
  await app.prisma.totpFactor.update({ where: { userId: bob.id }, data: { secretEnc: row.secretEnc, lastStep: 0 } })
  const res = await secondStep(app, await passwordStep(app, bob.username), await codeFor(secret))
  t.equal(res.statusCode, 401)
})

t.test('a code is not accepted twice, not even within its window or by two requests at once', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  const { secret } = await enableTotp(app, u) // confirmed with the previous step's code
  const code = await codeFor(secret)
  t.equal((await secondStep(app, await passwordStep(app, u.username), code)).statusCode, 200)
  const again = await secondStep(app, await passwordStep(app, u.username), code)
  t.equal(again.statusCode, 401, 'the same code again is refused')
  t.equal(again.json().error.code, 'UNAUTHORIZED')
  t.equal((await secondStep(app, await passwordStep(app, u.username), await codeFor(secret, -1))).statusCode, 401, 'an earlier step is refused too')

  const next = await codeFor(secret, 1)
  const [c1, c2] = [await passwordStep(app, u.username), await passwordStep(app, u.username)]
  const both = await Promise.all([secondStep(app, c1, next), secondStep(app, c2, next)])
  t.same(both.map((r) => r.statusCode).sort(), [200, 401], 'of two concurrent uses of one code exactly one signs in')
})

t.test('a challenge is single use, bound to its user, expires, and wears out', async (t) => {
  const app = await build(t, { TOTP_MAX_FAILURES: 100 })
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  const a = await enableTotp(app, alice)
  const b = await enableTotp(app, bob)

  const challenge = await passwordStep(app, alice.username)
  t.equal((await secondStep(app, challenge, await codeFor(b.secret))).statusCode, 401, "Bob's code does not finish Alice's sign-in")
  t.equal((await secondStep(app, challenge, await codeFor(a.secret))).statusCode, 200)
  const reused = await secondStep(app, challenge, await codeFor(a.secret, 1))
  t.equal(reused.statusCode, 401, 'a used challenge is refused even with a fresh code')
  t.match(reused.json().error.message, /challenge/)

  const expiring = await passwordStep(app, alice.username)
  await app.prisma.signInChallenge.updateMany({ where: { userId: alice.id, usedAt: null }, data: { expiresAt: new Date(Date.now() - 1) } })
  t.equal((await secondStep(app, expiring, await codeFor(a.secret, 1))).statusCode, 401, 'an expired challenge is refused')

  const worn = await passwordStep(app, alice.username)
  for (let i = 0; i < 5; i++) t.equal((await secondStep(app, worn, '000000')).statusCode, 401)
  const after = await secondStep(app, worn, await codeFor(a.secret, 1))
  t.equal(after.statusCode, 401, 'after five wrong codes the challenge is spent')
  t.match(after.json().error.message, /challenge/)
  t.equal((await secondStep(app, 'not-a-challenge', await codeFor(a.secret, 1))).statusCode, 401, 'an unknown challenge is refused')
})

t.test('brute force: consecutive wrong codes lock the factor, across challenges, even for a right code', async (t) => {
  const app = await build(t, { TOTP_MAX_FAILURES: 3, TOTP_LOCK_S: 60 })
  const u = await registerUser(app)
  const { secret } = await enableTotp(app, u)
  for (let i = 0; i < 3; i++) t.equal((await secondStep(app, await passwordStep(app, u.username), `00000${i}`)).statusCode, 401)
  const locked = await secondStep(app, await passwordStep(app, u.username), await codeFor(secret))
  t.equal(locked.statusCode, 429)
  t.equal(locked.json().error.code, 'RATE_LIMITED')
  t.ok(locked.json().error.retryAfterMs > 50_000 && locked.json().error.retryAfterMs <= 60_000, 'says how long the lock lasts')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/totp/disable', headers: u.auth, payload: { code: await codeFor(secret) } })).statusCode, 429, 'disabling is locked too')

  await app.prisma.totpFactor.update({ where: { userId: u.id }, data: { lockedUntil: new Date(Date.now() - 1) } })
  t.equal((await secondStep(app, await passwordStep(app, u.username), await codeFor(secret))).statusCode, 200, 'after the lock a right code works')
})

t.test('recovery codes sign in once each', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  const { recoveryCodes } = await enableTotp(app, u)
  const first = await secondStep(app, await passwordStep(app, u.username), recoveryCodes[0]!.toLowerCase())
  t.equal(first.statusCode, 200, 'a recovery code works (case and dash do not matter)')
  t.equal((await status(app, u.auth)).recoveryCodesLeft, 9)
  t.equal((await secondStep(app, await passwordStep(app, u.username), recoveryCodes[0]!)).statusCode, 401, 'a used recovery code is refused')
  const other = await registerUser(app)
  const theirs = await enableTotp(app, other)
  t.equal((await secondStep(app, await passwordStep(app, u.username), theirs.recoveryCodes[0]!)).statusCode, 401, "another user's recovery code is refused")
})

t.test('turning it off takes a current code or a recovery code, never the session alone', async (t) => {
  const app = await build(t)
  const u = await registerUser(app) // this session started before two-factor was on
  const { secret, recoveryCodes } = await enableTotp(app, u)
  const disable = async (payload: unknown) => await app.inject({ method: 'POST', url: '/api/auth/totp/disable', headers: u.auth, payload: payload as object })
  t.equal((await disable({})).statusCode, 400, 'no code')
  t.equal((await disable({ code: '123456' })).statusCode, 403, 'a wrong code')
  t.equal((await disable({ code: recoveryCodes[0]!.replace(/.$/, (c) => c === 'A' ? 'B' : 'A') })).statusCode, 403, 'a wrong recovery code')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/totp/disable', payload: { code: await codeFor(secret) } })).statusCode, 401, 'no session')
  t.equal((await status(app, u.auth)).enabled, true, 'still on')

  t.equal((await disable({ code: recoveryCodes[1] })).statusCode, 204)
  t.same(await status(app, u.auth), { enabled: false, recoveryCodesLeft: 0 })
  t.equal(await app.prisma.totpRecoveryCode.count({ where: { userId: u.id } }), 0, 'the recovery codes are gone')
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: 'correct horse battery' } })
  t.ok('accessToken' in login.json(), 'the password alone signs in again')
  t.equal((await disable({ code: await codeFor(secret, 1) })).statusCode, 403, 'nothing left to turn off')
})

t.test('bad input: nothing changes and the error is clear', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  await app.inject({ method: 'POST', url: '/api/auth/totp/enrol', headers: u.auth, payload: { password: 'correct horse battery' } })
  for (const code of ['12\u000034', '\u202e123456', '123\u200b456', 'x'.repeat(33), '', 123456]) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/totp/confirm', headers: u.auth, payload: { code } })
    t.equal(res.statusCode, 400, JSON.stringify(code))
    t.equal(res.json().error.code, 'VALIDATION')
  }
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/login/second-factor', payload: { challenge: 'a\u0000b', code: '123456' } })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/login/second-factor', payload: { challenge: 'x'.repeat(129), code: '123456' } })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/totp/confirm', headers: u.auth, payload: { code: '123456', extra: 1 } })).statusCode, 400)
  t.equal((await status(app, u.auth)).enabled, false)
  const none = await registerUser(app)
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/totp/confirm', headers: none.auth, payload: { code: '123456' } })).statusCode, 404, 'confirming without enrolling')
})

t.test('TOTP_REQUIRED_FOR_ADMINS: the admin role only in a session started with a second factor', async (t) => {
  const app = await build(t, { TOTP_REQUIRED_FOR_ADMINS: true })
  const u = await registerUser(app)
  await app.prisma.user.update({ where: { id: u.id }, data: { role: 'admin' } })
  const adminList = async (token: string): Promise<number> =>
    (await app.inject({ method: 'GET', url: '/api/admin/users', headers: { authorization: `Bearer ${token}` } })).statusCode
  const password = (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: 'correct horse battery' } })).json()
  t.equal(await adminList(password.accessToken), 403, 'password alone: signed in, but not as admin')
  const refreshed = (await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: password.refreshToken } })).json()
  t.equal(await adminList(refreshed.accessToken), 403, 'a refresh of that session does not make it admin after enrolment')

  const { secret } = await enableTotp(app, { auth: { authorization: `Bearer ${password.accessToken as string}` } })
  const stillOld = (await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: refreshed.refreshToken } })).json()
  t.equal(await adminList(stillOld.accessToken), 403, 'the session from before enrolment stays without the role')

  const session = (await secondStep(app, await passwordStep(app, u.username), await codeFor(secret))).json()
  t.equal(await adminList(session.accessToken), 200, 'with the second factor: admin')
  const next = (await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: session.refreshToken } })).json()
  t.equal(await adminList(next.accessToken), 200, 'and its refreshes keep it')
})

t.test('without TOTP_REQUIRED_FOR_ADMINS an admin signs in with the password alone', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  await app.prisma.user.update({ where: { id: u.id }, data: { role: 'admin' } })
  const password = (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: 'correct horse battery' } })).json()
  t.equal((await app.inject({ method: 'GET', url: '/api/admin/users', headers: { authorization: `Bearer ${password.accessToken as string}` } })).statusCode, 200)
})
