import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { Test } from 'tap'
import type { App } from '../../../src/app.js'
import { hashPassword } from '../../../src/lib/password.js'

export interface TestKey { id: string, key: string, auth: { authorization: string } }

/** A platform admin (role in the row and the token), made directly: admins are promoted by the CLI. */
export async function makeAdmin (app: App): Promise<{ id: string, auth: { authorization: string } }> {
  const id = randomUUID()
  const username = `adm${process.pid % 100000}_${id.slice(0, 8)}`
  await app.prisma.user.create({ data: { id, username, displayName: username, passwordHash: await hashPassword('correct horse battery', 10), role: 'admin' } })
  return { id, auth: { authorization: `Bearer ${app.signAccessToken(id, 'admin')}` } }
}

/** A server key with these scopes, created through the admin route. */
export async function makeKey (app: App, admin: { auth: { authorization: string } }, scopes: string[] = ['users', 'conversations', 'messages', 'moderation']): Promise<TestKey> {
  const res = await app.inject({ method: 'POST', url: '/api/admin/server-keys', headers: admin.auth, payload: { name: `app ${scopes.join('+')}`, scopes } })
  if (res.statusCode !== 201) throw new Error(`create key: ${res.statusCode} ${res.body}`)
  const body = res.json()
  return { id: body.id, key: body.key, auth: { authorization: `Server ${body.key as string}` } }
}

/** Upserts an app user through the server API; returns its row. */
export async function appUser (app: App, key: TestKey, externalId = `ext-${randomUUID()}`, displayName = 'App user'): Promise<{ id: string, externalId: string }> {
  const res = await app.inject({ method: 'PUT', url: `/api/server/users/${encodeURIComponent(externalId)}`, headers: key.auth, payload: { displayName } })
  if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`upsert: ${res.statusCode} ${res.body}`)
  return { id: res.json().id, externalId }
}

/** One signed call the server made to the app (before-send hook, app events). */
export interface SignedCall { headers: IncomingHttpHeaders, body: string, json: any, verified: boolean }
export type SignedAnswer = (call: SignedCall, res: ServerResponse) => void | Promise<void>

/** Whether `x-relay-signature` (`t=<s>,v1=<hex>`) signs `body` with `secret`, made in the last five minutes. */
export function verifySignature (secret: string, header: string | undefined, body: string): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=') as [string, string]))
  const expected = createHmac('sha256', secret).update(`${parts.t ?? ''}.${body}`).digest()
  const given = Buffer.from(parts.v1 ?? '', 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300
}

/** The app's endpoint: a real HTTP server on 127.0.0.1 at `path`, recording every call, answering as the test sets. */
export async function signedReceiver (t: Test, secret: string, path: string, answer: SignedAnswer): Promise<{ url: string, host: string, calls: SignedCall[], answer: { fn: SignedAnswer } }> {
  const calls: SignedCall[] = []
  const current = { fn: answer }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const call = { headers: req.headers, body, json: JSON.parse(body), verified: verifySignature(secret, req.headers['x-relay-signature'] as string | undefined, body) }
      calls.push(call)
      void current.fn(call, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}${path}`, host: `127.0.0.1:${port}`, calls, answer: current }
}
