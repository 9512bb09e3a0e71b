// suite: default only — token and origin checks happen before any query; the same on both engines
import t from 'tap'
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { build, listen, registerUser } from '../helper.js'
import { badTokens, craftJwt, TEST_SECRET } from '../modules/auth/tokens.js'
import { connect, openSocket, refused } from '../modules/presence/helpers.js'
import { fillUrl, listRoutes, restErrorProblem, snapshot, type RouteInfo } from './surface.js'
import { KNOWN_BUGS } from './known-bugs.js'
import { makeBot } from '../modules/bots/helpers.js'
import type { App } from '../../src/app.js'

/**
 * Token attacks on every route that needs a token (found by asking each route without
 * one, so a new route is covered), on the socket handshake and on auth:refresh; CORS and
 * the WebSocket Origin check beyond what test/plugins/realtime.test.ts covers.
 * Already covered elsewhere and not repeated: refresh-token reuse and family revocation
 * (test/modules/auth/routes.test.ts), the handshake with badTokens and the websocket Origin
 * allowlist (test/plugins/realtime.test.ts), auth:refresh with bad tokens
 * (test/plugins/realtime-auth.test.ts).
 */

const now = (): number => Math.floor(Date.now() / 1000)
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/** Tokens beyond badTokens(): real RS256 with an attacker's key, algorithm confusion, `none` spellings, a forged kid/jku, not-yet-valid. */
function moreBadTokens (userId: string): Array<[string, string]> {
  const claims = { sub: userId, typ: 'access', iat: now(), exp: now() + 600 }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const rs256 = (() => {
    const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`
    return `${head}.${createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url')}`
  })()
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  return [
    ['RS256 signed with the attacker\'s key', rs256],
    ['alg RS256 header over an HS256 signature with the server secret', craftJwt({ alg: 'RS256', typ: 'JWT' }, claims).replace(/^[^.]+/, b64({ alg: 'RS256', typ: 'JWT' }))],
    ['HS256 keyed with a public key (key confusion)', craftJwt({ alg: 'HS256', typ: 'JWT' }, claims, pem)],
    ['HS384 with the same secret', craftJwt({ alg: 'HS384', typ: 'JWT' }, claims)],
    ['alg None', `${b64({ alg: 'None', typ: 'JWT' })}.${b64(claims)}.`],
    ['alg NONE with a signature', `${b64({ alg: 'NONE' })}.${b64(claims)}.${craftJwt({ alg: 'HS256' }, claims).split('.')[2]!}`],
    ['alg missing', `${b64({ typ: 'JWT' })}.${b64(claims)}.${craftJwt({ alg: 'HS256' }, claims).split('.')[2]!}`],
    ['jku/kid pointing elsewhere, signed with another key', craftJwt({ alg: 'HS256', kid: '../../dev/null', jku: 'https://evil.example/jwks.json' }, claims, '')],
    ['not valid yet (nbf in an hour)', craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, nbf: now() + 3600 })],
    ['expired a second ago', craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: now() - 1 })],
    ['sub is a number', craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: 42 })],
    ['sub is an object', craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: { id: userId } })],
    ['signature stripped', craftJwt({ alg: 'HS256', typ: 'JWT' }, claims).replace(/\.[^.]+$/, '.')],
    ['two tokens glued', `${craftJwt({ alg: 'HS256' }, claims)}.${craftJwt({ alg: 'HS256' }, claims)}`],
    ['4 KB of garbage', 'a'.repeat(4096)]
  ]
}

async function authRoutes (app: App): Promise<RouteInfo[]> {
  const out: RouteInfo[] = []
  for (const route of listRoutes(app)) {
    const res = await app.inject({ method: route.method as 'GET', url: fillUrl(route, () => randomUUID()) })
    if (res.statusCode === 401) out.push(route)
  }
  return out
}

t.test('every route that needs a token refuses forged, swapped-algorithm, expired and malformed ones, writing nothing', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  const good = craftJwt({ alg: 'HS256', typ: 'JWT' }, { sub: u.id, typ: 'access', iat: now(), exp: now() + 600 }, TEST_SECRET)
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${good}` } })).statusCode, 200,
    'a well-made token of this shape passes, so the refusals are about the flaw')
  const routes = await authRoutes(app)
  t.ok(routes.length >= 25, `${routes.length} routes need a token`)
  const tokens = [...badTokens(u.id), ...moreBadTokens(u.id)]
  const before = await snapshot(app)
  for (const route of routes) {
    for (const [what, token] of tokens) {
      for (const where of ['header', 'query'] as const) {
        const url = fillUrl(route, () => randomUUID())
        const res = await app.inject({
          method: route.method as 'GET',
          url: where === 'query' ? `${url}?token=${encodeURIComponent(token)}` : url,
          headers: where === 'header' ? { authorization: `Bearer ${token}` } : {},
          ...(['POST', 'PATCH', 'PUT', 'DELETE'].includes(route.method) ? { payload: {} } : {})
        })
        if (res.statusCode !== 401 || restErrorProblem(res) !== undefined || res.json().error.code !== 'UNAUTHORIZED') {
          t.fail(`${route.key} with ${what} in the ${where}: ${res.statusCode} ${res.body.slice(0, 160)}`)
        }
      }
    }
  }
  t.same(await snapshot(app), before, 'nothing written')
  t.pass(`${routes.length} routes x ${tokens.length} tokens x header/query refused`)
})

t.test('a valid token of a deleted user: no route writes, none fails with a 5xx', async (t) => {
  const app = await build(t)
  const [gone, other] = [await registerUser(app), await registerUser(app)]
  await app.prisma.user.delete({ where: { id: gone.id } })
  const routes = await authRoutes(app)
  // Known bug (report of issue 6): POST /api/groups and POST /api/uploads answer 500 (foreign key) for a deleted user.
  const skip = KNOWN_BUGS.deletedUserWrites ? new Set(['POST /api/groups', 'POST /api/uploads']) : new Set<string>()
  const bodies: Record<string, unknown> = {
    'POST /api/groups': { name: 'ghost', memberIds: [] },
    'POST /api/friends/requests': { toUserId: other.id },
    'POST /api/conversations/direct': { userId: other.id },
    'PATCH /api/users/me': { displayName: 'ghost' },
    'POST /api/auth/password': { currentPassword: 'correct horse battery', newPassword: 'another horse battery' },
    'POST /api/conversations/:id/messages': { clientMsgId: randomUUID(), type: 'text', content: 'boo' },
    'POST /api/conversations/:id/read': { seq: 1 },
    'POST /api/groups/:id/members': { userIds: [other.id] }
  }
  const before = await snapshot(app)
  const answered: string[] = []
  for (const route of routes.filter((r) => !skip.has(r.key))) {
    const res = await app.inject({ method: route.method as 'GET', url: fillUrl(route, (p) => (p === 'userId' || route.url === '/api/users/:id' ? other.id : randomUUID())), headers: gone.auth, ...(bodies[route.key] === undefined ? {} : { payload: bodies[route.key] as object }) })
    if (res.statusCode >= 500) t.fail(`${route.key}: ${res.statusCode} ${res.body.slice(0, 160)}`)
    if (res.statusCode >= 400 && restErrorProblem(res) !== undefined) t.fail(`${route.key}: ${restErrorProblem(res)!}`)
    if (res.statusCode < 400 && route.method !== 'GET') t.fail(`${route.key}: a write was accepted (${res.statusCode})`)
    answered.push(`${route.key} ${res.statusCode}`)
  }
  t.same(await snapshot(app), before, 'nothing written for the deleted user')
  // Reads answer with public or empty data (an access token outlives its account by up to ACCESS_TOKEN_TTL_S).
  t.comment(answered.join('; '))
  for (const url of ['/api/users/me']) {
    t.equal((await app.inject({ method: 'GET', url, headers: gone.auth })).statusCode, 401, `${url} treats it as no token`)
  }
})

t.test('Bot tokens: garbage, unknown, rotated, deleted-bot and suspended ones are refused on every route and at the handshake, writing nothing', async (t) => {
  const { app, url } = await listen(t)
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  const deleted = await makeBot(app, owner)
  const suspended = await makeBot(app, owner)
  const rotated = await makeBot(app, owner)
  await app.inject({ method: 'POST', url: `/api/bots/${rotated.id}/token`, headers: owner.auth })
  await app.inject({ method: 'DELETE', url: `/api/bots/${deleted.id}`, headers: owner.auth })
  await app.prisma.user.update({ where: { id: suspended.id }, data: { suspendedAt: new Date() } })
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: bot.auth })).statusCode, 200, 'a good bot token passes')
  const tokens: Array<[string, string, 'UNAUTHORIZED' | 'FORBIDDEN']> = [
    ['garbage', 'Bot garbage', 'UNAUTHORIZED'],
    ['unknown of the right shape', `Bot rbot_${'Z'.repeat(43)}`, 'UNAUTHORIZED'],
    ['one character changed', `Bot ${bot.token.slice(0, -1)}${bot.token.endsWith('A') ? 'B' : 'A'}`, 'UNAUTHORIZED'],
    ['the scheme alone', 'Bot', 'UNAUTHORIZED'],
    ['rotated away', rotated.auth.authorization, 'UNAUTHORIZED'],
    ['of a deleted bot', deleted.auth.authorization, 'UNAUTHORIZED'],
    ['of a suspended bot', suspended.auth.authorization, 'FORBIDDEN'],
    ['a bot token under Bearer', `Bearer ${bot.token}`, 'UNAUTHORIZED'],
    ['a user token under Bot', `Bot ${owner.accessToken}`, 'UNAUTHORIZED']
  ]
  const routes = await authRoutes(app)
  const before = await snapshot(app)
  for (const route of routes) {
    for (const [what, authorization, code] of tokens) {
      const res = await app.inject({ method: route.method as 'GET', url: fillUrl(route, () => randomUUID()), headers: { authorization }, ...(['POST', 'PATCH', 'PUT', 'DELETE'].includes(route.method) ? { payload: {} } : {}) })
      // The server API takes a server key only: any bot token, suspended or not, is no key.
      const wanted = route.url.startsWith('/api/server/') ? 'UNAUTHORIZED' : code
      if (restErrorProblem(res) !== undefined || res.json().error?.code !== wanted) t.fail(`${route.key} with ${what}: ${res.statusCode} ${res.body.slice(0, 160)}`)
    }
  }
  t.same(await snapshot(app), before, 'nothing written')
  for (const [what, authorization] of tokens) t.equal(await refused(openSocket(t, url, authorization)), 'UNAUTHORIZED', `handshake: ${what}`)
  t.pass(`${routes.length} routes x ${tokens.length} bot tokens refused`)
})

t.test('socket: algorithm swaps and forged tokens are refused at the handshake and by auth:refresh', async (t) => {
  const { app, url } = await listen(t)
  const u = await registerUser(app)
  const tokens = moreBadTokens(u.id)
  for (const [what, token] of tokens) t.equal(await refused(openSocket(t, url, token)), 'UNAUTHORIZED', `handshake: ${what}`)
  const c = await connect(t, url, u)
  for (const [what, token] of tokens) {
    const ack = await c.call('auth:refresh', { token })
    if (ack.ok !== false || ack.error.code !== 'UNAUTHORIZED') t.fail(`auth:refresh ${what}: ${JSON.stringify(ack)}`)
  }
  t.ok(c.socket.connected, 'the socket lives on with its own token')
})

t.test('CORS: only allowlisted origins get CORS headers, never credentials; the exposed header is the cursor', async (t) => {
  const app = await build(t, { ALLOWED_ORIGINS: 'https://chat.example.com' })
  const u = await registerUser(app)
  const preflight = async (origin: string) => await app.inject({ method: 'OPTIONS', url: '/api/conversations', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } })

  const allowed = await preflight('https://chat.example.com')
  t.equal(allowed.statusCode, 204, 'an allowlisted preflight is answered')
  t.equal(allowed.headers['access-control-allow-origin'], 'https://chat.example.com', 'echoing that origin, not *')
  t.notOk(allowed.headers['access-control-allow-credentials'], 'no credentials (tokens travel in a header, not cookies)')
  t.match(String(allowed.headers['access-control-allow-headers'] ?? ''), /authorization/i, 'the Authorization header may be sent')

  for (const origin of ['https://evil.example', 'null', 'https://chat.example.com.evil.example', 'http://chat.example.com', 'https://chat.example.com:8443']) {
    const res = await preflight(origin)
    t.notOk(res.headers['access-control-allow-origin'], `${origin}: no allow-origin on the preflight (${res.statusCode})`)
    const get = await app.inject({ method: 'GET', url: '/api/users/me', headers: { ...u.auth, origin } })
    t.notOk(get.headers['access-control-allow-origin'], `${origin}: no allow-origin on the response, so a browser hides it`)
  }
  const list = await app.inject({ method: 'GET', url: '/api/conversations', headers: { ...u.auth, origin: 'https://chat.example.com' } })
  t.equal(list.headers['access-control-allow-origin'], 'https://chat.example.com', 'an allowlisted page may read a response')
  t.equal(list.headers['access-control-expose-headers'], 'x-next-cursor', 'only the paging cursor is exposed')
  const errorReply = await app.inject({ method: 'GET', url: '/api/users/me', headers: { origin: 'https://chat.example.com' } })
  t.equal(errorReply.statusCode, 401, 'a request without a token')
  t.equal(errorReply.headers['access-control-allow-origin'], 'https://chat.example.com', 'errors carry CORS headers too, so the page can read the code')
})

t.test('WebSocket Origin: the polling transport, a forged X-Forwarded-Host and opaque origins are refused too', async (t) => {
  const { app, url } = await listen(t, { ALLOWED_ORIGINS: 'https://chat.example.com' })
  const u = await registerUser(app)
  const { port } = new URL(url)
  const poll = async (headers: Record<string, string>): Promise<{ status: number, allowOrigin?: string }> => await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/socket.io/?EIO=4&transport=polling', headers }, (res) => {
      res.resume()
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, allowOrigin: res.headers['access-control-allow-origin'] }) })
    })
    req.on('error', reject)
    req.end()
  })
  for (const [what, headers] of [
    ['a foreign origin', { origin: 'https://evil.example' }],
    ['the null origin', { origin: 'null' }],
    ['a forged X-Forwarded-Host (TRUST_PROXY is off)', { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' }]
  ] as Array<[string, Record<string, string>]>) {
    const res = await poll(headers)
    t.equal(res.status, 403, `long-polling handshake from ${what} is refused`)
    t.notOk(res.allowOrigin, `and carries no allow-origin (${what})`)
    t.not(await refused(openSocket(t, url, u.accessToken, { transports: ['polling'], extraHeaders: headers })), 'UNAUTHORIZED', `socket.io-client over polling from ${what}: refused before authentication`)
  }
  t.equal((await poll({ origin: 'https://chat.example.com' })).status, 200, 'an allowlisted origin may start polling')
  t.equal((await poll({})).status, 200, 'so may a client without Origin (not a browser)')
})
