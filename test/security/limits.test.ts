import t from 'tap'
import { randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { connect as connectTcp } from 'node:net'
import { build, listen, registerUser } from '../helper.js'
import { connect, makeConversation, makeUsers, openSocket, refused, type User } from '../modules/presence/helpers.js'
import { fillUrl, listRoutes, restErrorProblem, snapshot } from './surface.js'
import { newServerKey, serverKeyHash } from '../../src/modules/server-api/index.js'

/**
 * Limits that had no test yet. Already covered elsewhere (not repeated here):
 * socket payload size (test/plugins/realtime.test.ts "an oversized message disconnects only
 * that socket", test/modules/signal/signal.test.ts), per-socket event rate (realtime.test.ts
 * "rate limit: ..."), per-IP connections (realtime.test.ts "connections per IP are capped"),
 * auth attempts per IP (test/modules/auth/routes.test.ts "auth routes are rate limited"),
 * group size (test/modules/groups/groups.test.ts, also under concurrent adds), message
 * length with a small TEXT_MAX_CHARS (test/modules/messages/send.test.ts "content is
 * validated per type"), upload size (test/modules/uploads/upload.test.ts).
 */

const LIMIT = 2048

t.test('HTTP body size: every JSON route refuses a body over BODY_LIMIT_BYTES with 413, and writes nothing', async (t) => {
  const app = await build(t, { BODY_LIMIT_BYTES: LIMIT })
  const u = await registerUser(app)
  // Admin routes refuse a non-admin before reading the body (FORBIDDEN): send theirs as an admin.
  const admin = await registerUser(app)
  await app.prisma.user.update({ where: { id: admin.id }, data: { role: 'admin' } })
  const adminAuth = { authorization: `Bearer ${app.signAccessToken(admin.id, 'admin')}` }
  // The server API refuses anything but a server key before reading the body (UNAUTHORIZED): send its own with one.
  const key = newServerKey()
  await app.prisma.serverKey.create({ data: { id: randomUUID(), name: 'limits', keyHash: serverKeyHash(key), scopes: ['users', 'conversations', 'messages', 'moderation'] } })
  const serverAuth = { authorization: `Server ${key}` }
  // Multipart uploads have their own limit (UPLOAD_MAX_BYTES, tested in upload.test.ts).
  const routes = listRoutes(app).filter((r) => ['POST', 'PATCH', 'PUT', 'DELETE'].includes(r.method) && r.url !== '/api/uploads')
  t.ok(routes.length >= 20, `${routes.length} routes take a body`)
  const before = await snapshot(app)
  for (const route of routes) {
    const url = fillUrl(route, () => randomUUID())
    const body = (n: number) => `{"pad":"${'a'.repeat(n - 10)}"}`
    const auth = url.startsWith('/api/admin/') ? adminAuth : url.startsWith('/api/server/') ? serverAuth : u.auth
    const over = await app.inject({ method: route.method as 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload: body(LIMIT + 1) })
    t.equal(over.statusCode, 413, `${route.key}: one byte over`)
    t.equal(restErrorProblem(over), undefined, `${route.key}: the contract's error`)
    t.equal(over.json().error.code, 'PAYLOAD_TOO_LARGE', route.key)
    const at = await app.inject({ method: route.method as 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload: body(LIMIT) })
    t.not(at.statusCode, 413, `${route.key}: exactly at the limit is read (${at.statusCode})`)
  }
  t.same(await snapshot(app), before, 'nothing written')
})

t.test('HTTP body size without a Content-Length (chunked), and with one that lies', async (t) => {
  const { app, url } = await listen(t, { BODY_LIMIT_BYTES: LIMIT })
  const u = await registerUser(app)
  const { port } = new URL(url)
  const before = await snapshot(app)
  const send = async (headers: Record<string, string | number>, chunks: string[]): Promise<{ status: number, body: string }> => await new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/groups', headers: { ...u.auth, 'content-type': 'application/json', ...headers } }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', () => { resolve({ status: 0, body: '' }) })
    for (const c of chunks) req.write(c)
    req.end()
  })
  const chunked = await send({ 'transfer-encoding': 'chunked' }, ['{"name":"x","memberIds":[],"pad":"', ...Array.from({ length: 10 }, () => 'a'.repeat(500)), '"}'])
  t.equal(chunked.status, 413, 'a chunked body is cut at the limit')
  t.equal(JSON.parse(chunked.body).error.code, 'PAYLOAD_TOO_LARGE')
  const lying = await send({ 'content-length': 40 }, ['{"name":"x","memberIds":[],"pad":"' + 'a'.repeat(3000) + '"}'])
  t.ok(lying.status === 400 || lying.status === 0, `a Content-Length shorter than the body: the rest is not read as a body (${lying.status})`)
  // A declared length over the limit, of which only a few bytes ever arrive: answered at once.
  const huge = await new Promise<string>((resolve) => {
    const sock = connectTcp(Number(port), '127.0.0.1', () => {
      sock.write(`POST /api/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${u.accessToken}\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n{"name":"x"`)
    })
    let head = ''
    sock.on('data', (c: Buffer) => { head += c.toString(); if (head.includes('\r\n')) { sock.destroy(); resolve(head.split('\r\n')[0] ?? '') } })
    sock.on('error', () => { resolve(head) })
  })
  t.match(huge, /^HTTP\/1\.1 413/, `a declared length over the limit is refused before the body arrives (${huge})`)
  t.equal((await fetch(`${url}/healthz`)).status, 200, 'the server still answers')
  t.same(await snapshot(app), before, 'nothing written')
})

t.test('message length at the default TEXT_MAX_CHARS: 4,000 characters pass, 4,001 do not (REST and socket)', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const conversationId = await makeConversation(app, [a, b])
  const c = await connect(t, url, a)
  const send = async (content: string) => await c.call('message:send', { conversationId, clientMsgId: randomUUID(), type: 'text', content })
  t.equal((await send('x'.repeat(4000))).ok, true, '4,000 over the socket')
  t.equal((await send('😀'.repeat(4000))).ok, true, '4,000 emoji (characters, not UTF-16 units)')
  const over = await send('x'.repeat(4001))
  t.same([over.ok, over.error?.code], [false, 'VALIDATION'], '4,001 over the socket')
  const rest = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'x'.repeat(4001) } })
  t.same([rest.statusCode, rest.json().error.code], [400, 'VALIDATION'], '4,001 over REST')
  t.equal(await app.prisma.message.count({ where: { conversationId } }), 2, 'only the two that fit were stored')
})

t.test('per-user event rate: the bucket is per socket, so a user\'s total is bounded by sockets x rate, and sockets by MAX_CONNECTIONS_PER_IP', async (t) => {
  const { app, url } = await listen(t, { SOCKET_EVENTS_PER_S: 2, MAX_CONNECTIONS_PER_IP: 3 })
  const [u] = await makeUsers(app, 1) as [User]
  const sockets = [await connect(t, url, u), await connect(t, url, u), await connect(t, url, u)]
  t.not(await refused(openSocket(t, url, u.accessToken)), 'UNAUTHORIZED', 'a fourth socket from the same address is refused')
  const acks = await Promise.all(sockets.flatMap((s) => Array.from({ length: 10 }, async () => await s.call('sync', { cursors: {} }))))
  const served = acks.filter((a) => a.ok === true).length
  // burst 2 x 2 = 4 per socket, plus what refills while the 30 events are in flight
  t.ok(served >= 3 * 4 && served <= 3 * 6, `${served} of 30 served across 3 sockets`)
  t.equal(acks.filter((a) => a.ok === false && a.error.code === 'RATE_LIMITED').length, 30 - served, 'the rest are RATE_LIMITED')
})
