import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { build, createTestDatabase, REDIS_URL, registerUser, servicesMode, sharedPglite, tempDir } from '../../helper.js'
import { buildApp, type App } from '../../../src/app.js'
import { loadConfig, type RawConfig } from '../../../src/config.js'
import { TEST_SECRET } from './tokens.js'

let n = 0
/** A fresh username, unique across processes and runs (max 32 chars). */
const uname = (): string => `au${process.pid % 100000}_${++n}_${Math.floor(Math.random() * 1e6)}`
const PASSWORD = 'correct horse battery'
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

const post = async (app: App, path: string, payload: unknown, headers: Record<string, string> = {}) =>
  await app.inject({ method: 'POST', url: `/api/auth/${path}`, payload: payload as any, headers })

const counts = async (app: App) => ({ users: await app.prisma.user.count(), tokens: await app.prisma.refreshToken.count() })

t.test('register creates the user, a hashed password and a first session', async (t) => {
  const app = await build(t)
  const name = uname()
  const res = await post(app, 'register', { username: `  ${name.toUpperCase()} `, password: PASSWORD })
  t.equal(res.statusCode, 201)
  const body = res.json()
  t.same(Object.keys(body).sort(), ['accessToken', 'refreshToken', 'user'])
  t.same(Object.keys(body.user).sort(), ['avatarUrl', 'createdAt', 'displayName', 'id', 'username'])
  t.match(body.user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  t.equal(body.user.username, name, 'trimmed and lower-cased')
  t.equal(body.user.displayName, name, 'display name defaults to the username')
  t.equal(body.user.avatarUrl, null)
  t.equal(new Date(body.user.createdAt).toISOString(), body.user.createdAt)
  t.match(body.refreshToken, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url')

  const row = await app.prisma.user.findUniqueOrThrow({ where: { id: body.user.id } })
  t.match(row.passwordHash, /^scrypt\$10\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
  t.notMatch(row.passwordHash, PASSWORD)

  const tokens = await app.prisma.refreshToken.findMany({ where: { userId: body.user.id } })
  t.equal(tokens.length, 1)
  t.equal(tokens[0]!.tokenHash, sha256(body.refreshToken), 'stored as sha256 hex, never in clear')
  const ttl = tokens[0]!.expiresAt.getTime() - Date.now()
  t.ok(ttl > (app.config.REFRESH_TOKEN_TTL_S - 60) * 1000 && ttl <= app.config.REFRESH_TOKEN_TTL_S * 1000, 'expires after REFRESH_TOKEN_TTL_S')

  const me = await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${body.accessToken as string}` } })
  t.equal(me.statusCode, 200)
  t.same(me.json(), { ...body.user, role: 'user', presenceVisibility: 'contacts' }, 'the session\'s user, with the own role and presence setting')
})

t.test('register takes an optional display name (trimmed) and avatar', async (t) => {
  const app = await build(t)
  const name = uname()
  const res = await post(app, 'register', { username: name, password: PASSWORD, displayName: '  Ünïcode Näme 🚀 ', avatarUrl: 'https://example.com/a.png?s=64' })
  t.equal(res.statusCode, 201)
  t.equal(res.json().user.displayName, 'Ünïcode Näme 🚀')
  t.equal(res.json().user.avatarUrl, 'https://example.com/a.png?s=64')
})

t.test('a taken username is a CONFLICT, whatever its case or blanks, and writes nothing', async (t) => {
  const app = await build(t)
  const name = uname()
  t.equal((await post(app, 'register', { username: name, password: PASSWORD })).statusCode, 201)
  const before = await counts(app)
  for (const username of [name, name.toUpperCase(), ` ${name} `]) {
    const res = await post(app, 'register', { username, password: 'another password' })
    t.equal(res.statusCode, 409, username)
    t.equal(res.json().error.code, 'CONFLICT')
  }
  t.same(await counts(app), before)
})

t.test('concurrent registrations of one name: exactly one wins', async (t) => {
  const app = await build(t)
  const name = uname()
  const results = await Promise.all([1, 2, 3].map(async () => await post(app, 'register', { username: name, password: PASSWORD })))
  t.same(results.map((r) => r.statusCode).sort(), [201, 409, 409])
  t.ok(results.filter((r) => r.statusCode === 409).every((r) => r.json().error.code === 'CONFLICT'))
  t.equal(await app.prisma.user.count({ where: { username: name } }), 1)
  const user = await app.prisma.user.findUniqueOrThrow({ where: { username: name } })
  t.equal(await app.prisma.refreshToken.count({ where: { userId: user.id } }), 1, 'the losers left no tokens behind')
})

t.test('register rejects bad input with VALIDATION and writes nothing', async (t) => {
  const app = await build(t)
  const name = uname()
  const ok = { username: name, password: PASSWORD }
  const cases: Array<[string, unknown]> = [
    ['missing username', { password: PASSWORD }],
    ['missing password', { username: name }],
    ['empty object', {}],
    ['extra field', { ...ok, isAdmin: true }],
    ['username a number', { username: 123, password: PASSWORD }],
    ['password a number', { username: name, password: 12345678 }],
    ['username null', { username: null, password: PASSWORD }],
    ['username an array', { username: [name], password: PASSWORD }],
    ['empty username', { username: '', password: PASSWORD }],
    ['blank username', { username: '     ', password: PASSWORD }],
    ['username too short', { username: 'ab', password: PASSWORD }],
    ['username too long', { username: 'a'.repeat(33), password: PASSWORD }],
    ['username with a space', { username: 'ab cd', password: PASSWORD }],
    ['username with non-ascii', { username: 'ünïcode', password: PASSWORD }],
    ['username with @', { username: 'me@example', password: PASSWORD }],
    ['empty password', { username: name, password: '' }],
    ['password too short', { username: name, password: '1234567' }],
    ['password too long', { username: name, password: 'x'.repeat(129) }],
    ['empty display name', { ...ok, displayName: '' }],
    ['blank display name', { ...ok, displayName: '   ' }],
    ['display name too long', { ...ok, displayName: 'd'.repeat(65) }],
    ['display name a number', { ...ok, displayName: 42 }],
    ['avatar not a url', { ...ok, avatarUrl: 'not a url' }],
    ['avatar javascript:', { ...ok, avatarUrl: 'javascript:alert(1)' }],
    ['avatar ftp', { ...ok, avatarUrl: 'ftp://example.com/a.png' }],
    ['avatar too long', { ...ok, avatarUrl: `https://example.com/${'a'.repeat(2030)}` }],
    ['avatar empty', { ...ok, avatarUrl: '' }],
    ['body an array', [ok]],
    ['body a string', JSON.stringify(ok)],
    ['body null', null]
  ]
  const before = await counts(app)
  for (const [what, payload] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/register', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) })
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error.code, 'VALIDATION', what)
    t.type(res.json().error.message, 'string')
  }
  t.same(await counts(app), before)
  t.equal(await app.prisma.user.count({ where: { username: name } }), 0)
  // The boundaries themselves are accepted.
  t.equal((await post(app, 'register', { username: `${name}${'z'.repeat(32 - name.length)}`, password: 'x'.repeat(128), displayName: 'd'.repeat(64) })).statusCode, 201)
  t.equal((await post(app, 'register', { username: `${name}_8`, password: '12345678', avatarUrl: `https://e.com/${'a'.repeat(2048 - 14)}` })).statusCode, 201)
})

t.test('register refuses malformed JSON and other content types', async (t) => {
  const app = await build(t)
  const name = uname()
  const before = await counts(app)
  const cases: Array<[string, string | undefined, string, number]> = [
    ['malformed JSON', 'application/json', `{"username":"${name}","password":`, 400],
    ['empty JSON body', 'application/json', '', 400],
    ['plain text', 'text/plain', `username=${name}&password=${PASSWORD}`, 400],
    ['form encoded', 'application/x-www-form-urlencoded', `username=${name}&password=${encodeURIComponent(PASSWORD)}`, 415],
    ['xml', 'application/xml', `<u>${name}</u>`, 415]
  ]
  for (const [what, type, payload, status] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/register', headers: type === undefined ? {} : { 'content-type': type }, payload })
    t.equal(res.statusCode, status, what)
    t.equal(res.json().error.code, 'VALIDATION', what)
  }
  const none = await app.inject({ method: 'POST', url: '/api/auth/register' })
  t.equal(none.statusCode, 400, 'no body at all')
  t.equal(none.json().error.code, 'VALIDATION')
  t.same(await counts(app), before)
})

t.test('login: any case of the name, a new session family each time', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const res = await post(app, 'login', { username: ` ${u.username.toUpperCase()}`, password: PASSWORD })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(Object.keys(body).sort(), ['accessToken', 'refreshToken', 'user'])
  t.equal(body.user.id, u.id)
  t.equal(body.user.username, u.username)
  t.not(body.refreshToken, u.refreshToken)
  const rows = await app.prisma.refreshToken.findMany({ where: { userId: u.id } })
  t.equal(rows.length, 2)
  t.equal(new Set(rows.map((r) => r.familyId)).size, 2, 'login starts its own family')
  const me = await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${body.accessToken as string}` } })
  t.equal(me.json().id, u.id)
})

t.test('login clears the user\'s expired refresh tokens', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  await app.prisma.refreshToken.updateMany({ where: { userId: u.id }, data: { expiresAt: new Date(Date.now() - 1000) } })
  t.equal((await post(app, 'login', { username: u.username, password: PASSWORD })).statusCode, 200)
  const rows = await app.prisma.refreshToken.findMany({ where: { userId: u.id } })
  t.equal(rows.length, 1)
  t.ok(rows[0]!.expiresAt.getTime() > Date.now())
})

t.test('login does not tell an unknown user from a wrong password', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const before = await counts(app)
  const answers = [
    await post(app, 'login', { username: u.username, password: 'wrong password' }),
    await post(app, 'login', { username: u.username, password: 'x' }),
    await post(app, 'login', { username: uname(), password: PASSWORD }),
    await post(app, 'login', { username: 'no such user!', password: PASSWORD }),
    await post(app, 'login', { username: 'x', password: 'x' })
  ]
  for (const res of answers) {
    t.equal(res.statusCode, 401)
    t.same(res.json(), { error: { code: 'UNAUTHORIZED', message: 'Invalid username or password' } })
  }
  t.same(await counts(app), before, 'no session was created')
})

t.test('login rejects bad input with VALIDATION', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const before = await counts(app)
  const cases: Array<[string, unknown]> = [
    ['missing password', { username: u.username }],
    ['missing username', { password: PASSWORD }],
    ['extra field', { username: u.username, password: PASSWORD, remember: true }],
    ['username a number', { username: 123, password: PASSWORD }],
    ['password a number', { username: u.username, password: 12345678 }],
    ['empty username', { username: '', password: PASSWORD }],
    ['empty password', { username: u.username, password: '' }],
    ['overlong username', { username: 'u'.repeat(65), password: PASSWORD }],
    ['overlong password', { username: u.username, password: 'p'.repeat(129) }]
  ]
  for (const [what, payload] of cases) {
    const res = await post(app, 'login', payload)
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error.code, 'VALIDATION', what)
  }
  const bad = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'VALIDATION')
  t.same(await counts(app), before)
})

t.test('refresh rotates: the new pair works, the old token is spent', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const res = await post(app, 'refresh', { refreshToken: u.refreshToken })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(Object.keys(body).sort(), ['accessToken', 'refreshToken'])
  t.not(body.refreshToken, u.refreshToken)
  const me = await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${body.accessToken as string}` } })
  t.equal(me.json().id, u.id)

  const rows = await app.prisma.refreshToken.findMany({ where: { userId: u.id }, orderBy: { createdAt: 'asc' } })
  t.equal(rows.length, 2)
  const old = rows.find((r) => r.tokenHash === sha256(u.refreshToken))!
  const next = rows.find((r) => r.tokenHash === sha256(body.refreshToken))!
  t.ok(old.rotatedAt, 'old token marked rotated')
  t.equal(next.familyId, old.familyId, 'same family')
  t.equal(next.rotatedAt, null)

  const again = await post(app, 'refresh', { refreshToken: body.refreshToken })
  t.equal(again.statusCode, 200, 'the new token rotates in turn')
})

t.test('a reused refresh token revokes its whole family, newest token included', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const other = (await post(app, 'login', { username: u.username, password: PASSWORD })).json().refreshToken as string
  const r2 = (await post(app, 'refresh', { refreshToken: u.refreshToken })).json().refreshToken as string
  const r3 = (await post(app, 'refresh', { refreshToken: r2 })).json().refreshToken as string

  const reuse = await post(app, 'refresh', { refreshToken: u.refreshToken })
  t.equal(reuse.statusCode, 401)
  t.equal(reuse.json().error.code, 'UNAUTHORIZED')

  const newest = await post(app, 'refresh', { refreshToken: r3 })
  t.equal(newest.statusCode, 401, 'the thief\'s (or owner\'s) newest token is dead too')
  t.equal(newest.json().error.code, 'UNAUTHORIZED')

  const family = (await app.prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: sha256(r3) } })).familyId
  const rows = await app.prisma.refreshToken.findMany({ where: { familyId: family } })
  t.equal(rows.length, 3)
  t.ok(rows.every((r) => r.revokedAt !== null), 'every token of the family revoked')
  t.equal(await app.prisma.refreshToken.count({ where: { familyId: family } }), 3, 'no token issued on reuse')

  const separate = await post(app, 'refresh', { refreshToken: other })
  t.equal(separate.statusCode, 200, 'another session (family) of the same user survives')
})

t.test('two concurrent uses of one refresh token with the grace off: one wins, the family dies', async (t) => {
  // With the default grace both succeed with the same pair (refresh-grace.test.ts).
  const app = await build(t, { REFRESH_REUSE_GRACE_S: 0 })
  const u = await registerUser(app, uname(), PASSWORD)
  const results = await Promise.all([1, 2].map(async () => await post(app, 'refresh', { refreshToken: u.refreshToken })))
  t.same(results.map((r) => r.statusCode).sort(), [200, 401])
  const winner = results.find((r) => r.statusCode === 200)!.json().refreshToken as string
  t.equal((await post(app, 'refresh', { refreshToken: winner })).statusCode, 401)
  const rows = await app.prisma.refreshToken.findMany({ where: { userId: u.id } })
  t.ok(rows.length <= 2 && rows.every((r) => r.revokedAt !== null))
})

t.test('expired, revoked, unknown or deleted-user refresh tokens are refused without writing', async (t) => {
  const app = await build(t)
  const expired = await registerUser(app, uname(), PASSWORD)
  await app.prisma.refreshToken.updateMany({ where: { userId: expired.id }, data: { expiresAt: new Date(Date.now() - 1000) } })
  const gone = await registerUser(app, uname(), PASSWORD)
  await app.prisma.user.delete({ where: { id: gone.id } })
  const before = await counts(app)
  const cases: Array<[string, string]> = [['expired', expired.refreshToken], ['deleted user', gone.refreshToken], ['unknown', 'A'.repeat(43)], ['garbage', '!!!']]
  for (const [what, token] of cases) {
    const res = await post(app, 'refresh', { refreshToken: token })
    t.equal(res.statusCode, 401, what)
    t.same(res.json(), { error: { code: 'UNAUTHORIZED', message: 'Invalid, expired or revoked refresh token' } }, what)
  }
  t.same(await counts(app), before)
  const row = await app.prisma.refreshToken.findFirstOrThrow({ where: { userId: expired.id } })
  t.equal(row.rotatedAt, null, 'an expired token is not rotated')
})

t.test('refresh and logout reject bad bodies with VALIDATION and write nothing', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const cases: Array<[string, unknown]> = [
    ['missing token', {}],
    ['extra field', { refreshToken: u.refreshToken, userId: u.id }],
    ['token a number', { refreshToken: 123 }],
    ['token null', { refreshToken: null }],
    ['empty token', { refreshToken: '' }],
    ['overlong token', { refreshToken: 'a'.repeat(513) }],
    ['body an array', [u.refreshToken]]
  ]
  for (const path of ['refresh', 'logout']) {
    for (const [what, payload] of cases) {
      const res = await post(app, path, payload)
      t.equal(res.statusCode, 400, `${path}: ${what}`)
      t.equal(res.json().error.code, 'VALIDATION', `${path}: ${what}`)
    }
    const malformed = await app.inject({ method: 'POST', url: `/api/auth/${path}`, headers: { 'content-type': 'application/json' }, payload: '{"refreshToken"' })
    t.equal(malformed.statusCode, 400)
    t.equal(malformed.json().error.code, 'VALIDATION')
    const form = await app.inject({ method: 'POST', url: `/api/auth/${path}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `refreshToken=${u.refreshToken}` })
    t.equal(form.statusCode, 415)
    t.equal(form.json().error.code, 'VALIDATION')
  }
  const rows = await app.prisma.refreshToken.findMany({ where: { userId: u.id } })
  t.equal(rows.length, 1)
  t.equal(rows[0]!.rotatedAt, null)
  t.equal(rows[0]!.revokedAt, null)
  t.equal((await post(app, 'refresh', { refreshToken: u.refreshToken })).statusCode, 200, 'the token still works')
})

t.test('logout revokes the session\'s family only; unknown tokens get 204 too', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const second = (await post(app, 'login', { username: u.username, password: PASSWORD })).json().refreshToken as string
  const rotated = (await post(app, 'refresh', { refreshToken: u.refreshToken })).json().refreshToken as string

  const res = await post(app, 'logout', { refreshToken: rotated })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  t.equal((await post(app, 'refresh', { refreshToken: rotated })).statusCode, 401)
  const family = (await app.prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: sha256(rotated) } })).familyId
  t.ok((await app.prisma.refreshToken.findMany({ where: { familyId: family } })).every((r) => r.revokedAt !== null))

  t.equal((await post(app, 'logout', { refreshToken: rotated })).statusCode, 204, 'twice is fine')
  const before = await counts(app)
  t.equal((await post(app, 'logout', { refreshToken: 'never-issued-token' })).statusCode, 204)
  t.same(await counts(app), before)
  t.equal((await post(app, 'refresh', { refreshToken: second })).statusCode, 200, 'the other device stays signed in')
})

t.test('password change: new password works, old does not, every session ends', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const other = (await post(app, 'login', { username: u.username, password: PASSWORD })).json().refreshToken as string
  const res = await post(app, 'password', { currentPassword: PASSWORD, newPassword: 'a brand new secret' }, u.auth)
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  for (const token of [u.refreshToken, other]) t.equal((await post(app, 'refresh', { refreshToken: token })).statusCode, 401)
  t.equal(await app.prisma.refreshToken.count({ where: { userId: u.id, revokedAt: null } }), 0)
  t.equal((await post(app, 'login', { username: u.username, password: PASSWORD })).statusCode, 401)
  t.equal((await post(app, 'login', { username: u.username, password: 'a brand new secret' })).statusCode, 200)
})

t.test('password change refuses a wrong current password, bad input and bad tokens, changing nothing', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const hash = async () => (await app.prisma.user.findUniqueOrThrow({ where: { id: u.id } })).passwordHash
  const before = await hash()

  const wrong = await post(app, 'password', { currentPassword: 'not my password', newPassword: 'a brand new secret' }, u.auth)
  t.equal(wrong.statusCode, 403)
  t.same(wrong.json(), { error: { code: 'FORBIDDEN', message: 'Current password is incorrect' } })

  const cases: Array<[string, unknown]> = [
    ['missing new', { currentPassword: PASSWORD }],
    ['missing current', { newPassword: 'a brand new secret' }],
    ['new too short', { currentPassword: PASSWORD, newPassword: 'short' }],
    ['new too long', { currentPassword: PASSWORD, newPassword: 'n'.repeat(129) }],
    ['new a number', { currentPassword: PASSWORD, newPassword: 123456789 }],
    ['empty current', { currentPassword: '', newPassword: 'a brand new secret' }],
    ['extra field', { currentPassword: PASSWORD, newPassword: 'a brand new secret', userId: randomUUID() }]
  ]
  for (const [what, payload] of cases) {
    const res = await post(app, 'password', payload, u.auth)
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error.code, 'VALIDATION', what)
  }
  for (const headers of [{}, { authorization: 'Bearer nope' }] as Array<Record<string, string>>) {
    const res = await post(app, 'password', { currentPassword: PASSWORD, newPassword: 'a brand new secret' }, headers)
    t.equal(res.statusCode, 401)
    t.equal(res.json().error.code, 'UNAUTHORIZED')
  }
  t.equal(await hash(), before, 'hash unchanged')
  t.equal(await app.prisma.refreshToken.count({ where: { userId: u.id, revokedAt: null } }), 1, 'session intact')
})

t.test('auth routes are rate limited per client with the RATE_LIMITED shape', async (t) => {
  const app = await build(t, { AUTH_RATE_LIMIT_MAX: 3 })
  for (let i = 0; i < 3; i++) {
    const res = await post(app, 'login', { username: 'nobody', password: 'guess number ' + String(i) })
    t.equal(res.statusCode, 401, `attempt ${i + 1} is answered`)
  }
  const limited = await post(app, 'login', { username: 'nobody', password: 'one guess too many' })
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().error.code, 'RATE_LIMITED')
  t.type(limited.json().error.message, 'string')
  t.ok(limited.headers['retry-after'], 'tells the client when to retry')
  const retryAfterMs = limited.json().error.retryAfterMs
  t.ok(Number.isInteger(retryAfterMs) && retryAfterMs > 0 && retryAfterMs <= 60_000, `retryAfterMs ${String(retryAfterMs)}: what is left of the window`)

  const name = uname()
  for (let i = 0; i < 3; i++) await post(app, 'register', { username: `${name}_${i}`, password: PASSWORD })
  const before = await counts(app)
  const reg = await post(app, 'register', { username: `${name}_x`, password: PASSWORD })
  t.equal(reg.statusCode, 429)
  t.equal(reg.json().error.code, 'RATE_LIMITED')
  t.same(await counts(app), before, 'a limited request writes nothing')

  const other = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.7', payload: { username: 'nobody', password: 'first try' } })
  t.equal(other.statusCode, 401, 'another client address has its own budget')
})

t.test('passwords and tokens never reach the log, even at trace level', async (t) => {
  const lines: string[] = []
  const base: Partial<RawConfig> = { NODE_ENV: 'test', DATA_DIR: tempDir(t), JWT_SECRET: TEST_SECRET, SCRYPT_LOG_N: 10, AUTH_RATE_LIMIT_MAX: 100_000 }
  if (servicesMode) Object.assign(base, { DATABASE_URL: await createTestDatabase(t), REDIS_URL })
  const app = await buildApp(loadConfig({}, base), {
    logger: { level: 'trace', stream: { write: (line: string) => { lines.push(line) } } },
    database: servicesMode ? undefined : await sharedPglite()
  })
  t.teardown(async () => { await app.close() })
  await app.ready()

  const name = uname()
  const secret = 'the-secret-password-42'
  const reg = (await post(app, 'register', { username: name, password: secret })).json()
  const rotated = (await post(app, 'refresh', { refreshToken: reg.refreshToken })).json()
  await post(app, 'refresh', { refreshToken: reg.refreshToken })
  await post(app, 'login', { username: name, password: `${secret}-wrong` })
  await post(app, 'login', { username: name, password: 'x'.repeat(129) + secret })
  await post(app, 'register', { username: name, password: secret })
  await post(app, 'password', { currentPassword: secret, newPassword: `${secret}-new` }, { authorization: `Bearer ${rotated.accessToken as string}` })
  await post(app, 'logout', { refreshToken: rotated.refreshToken })
  await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${reg.accessToken as string}` } })

  const log = lines.join('')
  t.ok(lines.length > 10, 'requests were logged')
  t.match(log, /\/api\/auth\/login/, 'the log does record the requests')
  for (const s of [secret, reg.refreshToken, reg.accessToken, rotated.refreshToken, rotated.accessToken]) t.notOk(log.includes(s), 'secret absent from the log')
})
