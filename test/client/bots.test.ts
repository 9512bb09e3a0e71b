// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ClientError, createClient } from '@relay-im/client'
import { server } from './fixtures.js'

/**
 * Connecting as a bot (`createClient({ botToken })`): what goes on the wire, and that a refused
 * bot token ends at once (no refresh to try). The bot routes themselves are tested against the
 * real server in push-bots.test.ts.
 */

t.test('bot mode: Authorization: Bot <token> on REST, no refresh on 401', async (t) => {
  const seen: Array<{ method: string, url: string, headers: IncomingHttpHeaders }> = []
  const http = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    if (req.url === '/api/users/me' && req.headers.authorization === 'Bot good-token') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: '00000000-0000-4000-8000-000000000001', username: 'helper', displayName: 'Helper', avatarUrl: null, createdAt: new Date().toISOString(), isBot: true }))
      return
    }
    res.writeHead(401, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'Invalid token' } }))
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { http.close() })
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  const bot = createClient({ url, botToken: 'good-token' })
  t.teardown(() => { bot.close() })
  t.match(await bot.me(), { username: 'helper', isBot: true })
  t.equal(seen[0]?.headers.authorization, 'Bot good-token')

  seen.length = 0
  const revoked = createClient({ url, botToken: 'revoked-token' })
  t.teardown(() => { revoked.close() })
  const err = await revoked.me().catch((e: unknown) => e)
  t.ok(err instanceof ClientError)
  t.match(err, { code: 'UNAUTHORIZED', status: 401 })
  t.same(seen.map((r) => [r.method, r.url, r.headers.authorization]), [['GET', '/api/users/me', 'Bot revoked-token']], 'one call, no refresh or login attempt')
  t.same(revoked.tokens, { accessToken: undefined, refreshToken: undefined }, 'no user tokens appear')

  // Calls that need no sign-in carry no Authorization at all.
  seen.length = 0
  await bot.version().catch(() => {})
  t.equal(seen[0]?.headers.authorization, undefined)
})

t.test('bot mode against the server: a garbage bot token is refused on REST and at connect()', async (t) => {
  const srv = await server(t)
  const bot = createClient({ url: srv.url, botToken: 'not-a-real-token', reconnect: { baseMs: 50, maxMs: 400 } })
  t.teardown(() => { bot.close() })
  t.match(await bot.me().catch((e: unknown) => e), { code: 'UNAUTHORIZED', status: 401 })
  const statuses: string[] = []
  bot.on('status', (s) => { statuses.push(s) })
  const started = Date.now()
  t.match(await bot.connect().catch((e: unknown) => e), { code: 'UNAUTHORIZED' }, 'connect() rejects')
  t.equal(bot.status, 'offline')
  t.ok(Date.now() - started < 5000, 'at once, without reconnect attempts')
  t.equal(statuses.at(-1), 'offline')
})
