// suite: default only — token and origin checks happen before any query; the same on both engines
import t from 'tap'
import { build, registerUser } from '../helper.js'

// Requests Fastify refuses before routing (bad percent-encoding, an over-long path parameter)
// and OPTIONS requests that are not complete CORS preflights used to get Fastify's or
// @fastify/cors's own bodies; every error must have the contract's shape.
t.test('unroutable paths and incomplete preflights get the contract\'s error body', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const cases: Array<{ method: 'GET' | 'OPTIONS', url: string, headers?: Record<string, string> }> = [
    { method: 'GET', url: '/api/users/%c3%28', headers: user.auth },
    { method: 'GET', url: '/api/users/%ff' },
    { method: 'GET', url: `/api/conversations/${'a'.repeat(101)}`, headers: user.auth },
    { method: 'GET', url: `/api/conversations/${'a'.repeat(5000)}` },
    { method: 'OPTIONS', url: '/api/users/me' },
    { method: 'OPTIONS', url: '/api/users/me', headers: { origin: 'https://evil.example' } }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: c.method, url: c.url, headers: c.headers })
    const what = `${c.method} ${c.url.slice(0, 30)}… (${c.url.length} chars, ${c.headers === undefined ? 'no headers' : Object.keys(c.headers).join(', ')})`
    if (c.method === 'OPTIONS' && res.statusCode === 204) {
      t.equal(res.body, '', `${what}: an empty 204 (not a preflight, nothing to refuse)`)
      continue
    }
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: a 4xx (${res.statusCode})`)
    t.match(res.json(), { error: { code: /^(VALIDATION|UNAUTHORIZED|FORBIDDEN|NOT_FOUND)$/, message: String } }, `${what}: {error:{code,message}}`)
  }
})
