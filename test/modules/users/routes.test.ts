import t from 'tap'
import { randomUUID } from 'node:crypto'
import { befriend, build, registerUser, type TestUser } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { badHeaders, badTokens, craftJwt } from '../auth/tokens.js'

let n = 0
const uname = (prefix = 'us'): string => `${prefix}${process.pid % 100000}_${++n}_${Math.floor(Math.random() * 1e6)}`
const PUBLIC_KEYS = ['avatarUrl', 'createdAt', 'displayName', 'id', 'username']
const ME_KEYS = [...PUBLIC_KEYS, 'role', 'presenceVisibility'].sort()

const get = async (app: App, url: string, headers: Record<string, string>) => await app.inject({ method: 'GET', url, headers })
const patchMe = async (app: App, u: TestUser, payload: unknown) =>
  await app.inject({ method: 'PATCH', url: '/api/users/me', headers: { ...u.auth, 'content-type': 'application/json' }, payload: JSON.stringify(payload) })

t.test('GET /users/me returns the caller\'s public profile', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  const res = await get(app, '/api/users/me', u.auth)
  t.equal(res.statusCode, 200)
  const me = res.json()
  t.same(Object.keys(me).sort(), ME_KEYS, 'the public fields, the caller\'s own role and presence setting')
  t.equal(me.role, 'user')
  t.equal(me.id, u.id)
  t.equal(me.username, u.username)
  t.equal(me.displayName, u.username)
  t.equal(me.avatarUrl, null)
  t.equal(new Date(me.createdAt).toISOString(), me.createdAt)
})

t.test('every users route refuses missing, malformed, expired and forged tokens', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  const good = craftJwt({ alg: 'HS256', typ: 'JWT' }, { sub: u.id, typ: 'access', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 })
  t.equal((await get(app, '/api/users/me', { authorization: `Bearer ${good}` })).statusCode, 200, 'a well-made token passes, so the refusals below are about the flaw')
  t.equal((await get(app, '/api/users/me', { authorization: `bearer ${u.accessToken}` })).statusCode, 200, 'the scheme is case-insensitive')

  const before = await app.prisma.user.findUniqueOrThrow({ where: { id: u.id } })
  const routes: Array<[string, string, unknown?]> = [
    ['GET', '/api/users/me'],
    ['PATCH', '/api/users/me', { displayName: 'Hacked' }],
    ['GET', `/api/users?q=${u.username.slice(0, 3)}`],
    ['GET', `/api/users/${u.id}`]
  ]
  const headers: Array<[string, Record<string, string>]> = [
    ...badHeaders,
    ...badTokens(u.id).map(([what, token]): [string, Record<string, string>] => [what, { authorization: `Bearer ${token}` }]),
    ['token without scheme', { authorization: u.accessToken }]
  ]
  for (const [method, url, payload] of routes) {
    for (const [what, h] of headers) {
      const res = await app.inject({ method: method as 'GET' | 'PATCH', url, headers: h, ...(payload === undefined ? {} : { payload: payload as any }) })
      t.equal(res.statusCode, 401, `${method} ${url}: ${what}`)
      t.same(res.json(), { error: { code: 'UNAUTHORIZED', message: 'Missing, invalid or expired access token' } }, `${method} ${url}: ${what}`)
    }
  }
  const after = await app.prisma.user.findUniqueOrThrow({ where: { id: u.id } })
  t.same(after, before, 'nothing changed')
})

t.test('a valid token of a deleted user is UNAUTHORIZED on /users/me', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  await app.prisma.user.delete({ where: { id: u.id } })
  for (const res of [await get(app, '/api/users/me', u.auth), await patchMe(app, u, { displayName: 'Ghost' })]) {
    t.equal(res.statusCode, 401)
    t.equal(res.json().error.code, 'UNAUTHORIZED')
  }
  t.equal(await app.prisma.user.count({ where: { id: u.id } }), 0, 'PATCH did not resurrect it')
})

t.test('PATCH /users/me updates display name and avatar; null clears the avatar', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  const res = await patchMe(app, u, { displayName: '  Ada Lovelace  ', avatarUrl: 'https://img.example.com/ada.png' })
  t.equal(res.statusCode, 200)
  t.same(Object.keys(res.json()).sort(), ME_KEYS)
  t.match(res.json(), { id: u.id, username: u.username, displayName: 'Ada Lovelace', avatarUrl: 'https://img.example.com/ada.png' })
  t.same((await get(app, '/api/users/me', u.auth)).json(), res.json(), 'stored')

  const only = await patchMe(app, u, { displayName: 'Ada' })
  t.match(only.json(), { displayName: 'Ada', avatarUrl: 'https://img.example.com/ada.png' }, 'absent fields are kept')

  const cleared = await patchMe(app, u, { avatarUrl: null })
  t.equal(cleared.statusCode, 200)
  t.match(cleared.json(), { displayName: 'Ada', avatarUrl: null })
  t.equal((await app.prisma.user.findUniqueOrThrow({ where: { id: u.id } })).avatarUrl, null)

  const noop = await patchMe(app, u, {})
  t.equal(noop.statusCode, 200)
  t.same(noop.json(), cleared.json(), 'an empty patch changes nothing')
})

t.test('PATCH /users/me rejects bad input with VALIDATION and changes nothing', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  await patchMe(app, u, { displayName: 'Original', avatarUrl: 'https://example.com/o.png' })
  const before = await app.prisma.user.findUniqueOrThrow({ where: { id: u.id } })
  const cases: Array<[string, unknown]> = [
    ['extra field username', { username: 'renamed' }],
    ['extra field passwordHash', { displayName: 'X', passwordHash: 'scrypt$1$1$1$AA$AA' }],
    ['display name a number', { displayName: 123 }],
    ['display name null', { displayName: null }],
    ['empty display name', { displayName: '' }],
    ['blank display name', { displayName: '    ' }],
    ['display name too long', { displayName: 'd'.repeat(65) }],
    ['avatar not a url', { avatarUrl: 'nope' }],
    ['avatar javascript:', { avatarUrl: 'javascript:alert(1)' }],
    ['avatar data:', { avatarUrl: 'data:image/png;base64,AAAA' }],
    ['avatar too long', { avatarUrl: `https://example.com/${'a'.repeat(2030)}` }],
    ['avatar a number', { avatarUrl: 7 }],
    ['one good one bad field', { displayName: 'Fine', avatarUrl: 'bad' }],
    ['body an array', [{ displayName: 'X' }]],
    ['body a string', 'X'],
    ['body null', null]
  ]
  for (const [what, payload] of cases) {
    const res = await patchMe(app, u, payload)
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error.code, 'VALIDATION', what)
  }
  const raw: Array<[string, string, string, number]> = [
    ['malformed JSON', 'application/json', '{"displayName":', 400],
    ['plain text', 'text/plain', 'displayName=X', 400],
    ['form encoded', 'application/x-www-form-urlencoded', 'displayName=X', 415]
  ]
  for (const [what, type, payload, status] of raw) {
    const res = await app.inject({ method: 'PATCH', url: '/api/users/me', headers: { ...u.auth, 'content-type': type }, payload })
    t.equal(res.statusCode, status, what)
    t.equal(res.json().error.code, 'VALIDATION', what)
  }
  t.same(await app.prisma.user.findUniqueOrThrow({ where: { id: u.id } }), before, 'row untouched (updatedAt too)')
})

t.test('GET /users?q= is a case-insensitive prefix search over public fields', async (t) => {
  const app = await build(t)
  const prefix = uname('sq')
  const names = [`${prefix}_c`, `${prefix}_a`, `${prefix}_b`]
  const users = []
  for (const name of names) users.push(await registerUser(app, name))
  const outsider = await registerUser(app, `x${prefix}`)
  const caller = users[0]!

  const res = await get(app, `/api/users?q=${prefix.toUpperCase()}`, caller.auth)
  t.equal(res.statusCode, 200)
  const found = res.json()
  t.same(found.map((u: any) => u.username), [...names].sort(), 'sorted by username; the caller is included')
  t.ok(found.every((u: any) => JSON.stringify(Object.keys(u).sort()) === JSON.stringify(PUBLIC_KEYS)), 'public fields only')
  t.notOk(found.some((u: any) => u.id === outsider.id), 'prefix, not substring')
  t.notMatch(res.body, /scrypt|passwordHash|password_hash/)

  const two = await get(app, `/api/users?q=${prefix}&limit=2`, caller.auth)
  t.same(two.json().map((u: any) => u.username), [`${prefix}_a`, `${prefix}_b`])

  const blank = await get(app, `/api/users?q=%20${prefix}%20`, caller.auth)
  t.equal(blank.json().length, 3, 'surrounding blanks are ignored')

  const none = await get(app, `/api/users?q=${prefix}_zz`, caller.auth)
  t.equal(none.statusCode, 200)
  t.same(none.json(), [])
})

t.test('LIKE wildcards in q are literal', async (t) => {
  const app = await build(t)
  const prefix = uname('wq')
  const a = await registerUser(app, `${prefix}_under`)
  await registerUser(app, `${prefix}xunder`)
  const cases: Array<[string, string[]]> = [
    [`${prefix}_`, [`${prefix}_under`]],
    [`${prefix}%`, []],
    [`${prefix.slice(0, 2)}%`, []],
    [`${prefix.slice(0, 2)}_${prefix.slice(3)}`, []],
    [`${prefix}\\`, []]
  ]
  for (const [q, expect] of cases) {
    const res = await get(app, `/api/users?q=${encodeURIComponent(q)}`, a.auth)
    t.equal(res.statusCode, 200)
    t.same(res.json().map((u: any) => u.username), expect, q)
  }
})

t.test('GET /users limit defaults to 20 and is capped at 50', async (t) => {
  const app = await build(t)
  const prefix = uname('lq')
  // Straight into the table: 21 registrations through scrypt would only slow the test.
  const ids = Array.from({ length: 21 }, () => randomUUID())
  await app.prisma.user.createMany({ data: ids.map((id, i) => ({ id, username: `${prefix}_${String(i).padStart(2, '0')}`, displayName: 'x', passwordHash: 'scrypt$10$8$1$AA$AA' })) })
  const u = await registerUser(app)
  t.equal((await get(app, `/api/users?q=${prefix}`, u.auth)).json().length, 20)
  t.equal((await get(app, `/api/users?q=${prefix}&limit=50`, u.auth)).json().length, 21)
  t.equal((await get(app, `/api/users?q=${prefix}&limit=1`, u.auth)).json().length, 1)
})

t.test('GET /users rejects a missing, empty, blank or overlong q and a bad limit', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  for (const qs of ['', 'q=', 'q=%20%20', `q=${'a'.repeat(33)}`, 'limit=5', 'q=a&limit=0', 'q=a&limit=51', 'q=a&limit=-1', 'q=a&limit=abc', 'q=a&limit=', 'q=a&limit=5&limit=6']) {
    const res = await get(app, `/api/users?${qs}`, u.auth)
    t.equal(res.statusCode, 400, qs)
    t.equal(res.json().error.code, 'VALIDATION', qs)
  }
  t.equal((await get(app, `/api/users?q=${'a'.repeat(32)}`, u.auth)).statusCode, 200, '32 chars is fine')
})

t.test('GET /users/:id returns the public profile with presence (a friend\'s; a stranger\'s is hidden)', async (t) => {
  const app = await build(t)
  const me = await registerUser(app)
  const other = await registerUser(app)
  const stranger = await get(app, `/api/users/${other.id}`, me.auth)
  t.same(stranger.json().presence, { online: false, lastSeenAt: null, hidden: true }, 'not friends: hidden')
  await befriend(app, me, other)
  const res = await get(app, `/api/users/${other.id}`, me.auth)
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(Object.keys(body).sort(), [...PUBLIC_KEYS, 'presence'].sort())
  t.match(body, { id: other.id, username: other.username, displayName: other.username, avatarUrl: null })
  t.same(body.presence, { online: false, lastSeenAt: null })

  const seen = new Date('2026-01-02T03:04:05.678Z')
  await app.prisma.user.update({ where: { id: other.id }, data: { lastSeenAt: seen } })
  const later = await get(app, `/api/users/${other.id.toUpperCase()}`, me.auth)
  t.equal(later.statusCode, 200, 'upper-case uuid is the same id')
  t.same(later.json().presence, { online: false, lastSeenAt: seen.toISOString() })
  t.notMatch(later.body, /scrypt/)
})

t.test('GET /users/:id: invalid id is VALIDATION, unknown id is NOT_FOUND', async (t) => {
  const app = await build(t)
  const me = await registerUser(app)
  for (const id of ['not-a-uuid', '123', `${me.id}x`, me.id.slice(1), "'%20OR%201=1--", '%00']) {
    const res = await get(app, `/api/users/${id}`, me.auth)
    t.equal(res.statusCode, 400, id)
    t.equal(res.json().error.code, 'VALIDATION', id)
  }
  const res = await get(app, `/api/users/${randomUUID()}`, me.auth)
  t.equal(res.statusCode, 404)
  t.same(res.json(), { error: { code: 'NOT_FOUND', message: 'User not found' } })
})
