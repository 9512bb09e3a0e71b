// suite: default only — response headers and the page in Chromium; no store is involved
import t, { type Test } from 'tap'
import type { App } from '../../src/app.js'
import { build, listen, registerUser } from '../helper.js'
import { multipart, SAMPLES } from '../modules/uploads/helpers.js'
import { ensureWebBuilt, sharedBrowser, browserContext } from '../web/fixtures.js'

/**
 * Every kind of response carries the security headers (src/plugins/security-headers.ts):
 * JSON answers and errors, the page, Swagger UI and uploaded files, each with its CSP.
 */

t.setTimeout(180_000)

const API_CSP = "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'"
const PAGE_CSP = "default-src 'self';img-src 'self' blob: data:;connect-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'none'"

/** Headers every response has, whatever it is. */
function common (t: Test, headers: Record<string, unknown>, what: string): void {
  t.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
  t.equal(headers['x-frame-options'], 'DENY', `${what}: X-Frame-Options`)
  t.match(String(headers['content-security-policy']), /frame-ancestors 'none'/, `${what}: frame-ancestors 'none'`)
  t.equal(headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`)
  t.match(String(headers['strict-transport-security']), /^max-age=\d+/, `${what}: HSTS`)
}

t.test('JSON answers and errors: the API CSP, nosniff, no framing', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const replies: Array<[string, Awaited<ReturnType<App['inject']>>]> = [
    ['GET /api/version', await app.inject({ method: 'GET', url: '/api/version' })],
    ['GET /api/users/me', await app.inject({ method: 'GET', url: '/api/users/me', headers: user.auth })],
    ['401', await app.inject({ method: 'GET', url: '/api/users/me' })],
    ['400', await app.inject({ method: 'PATCH', url: '/api/users/me', headers: user.auth, payload: { displayName: 'a\u0000' } })],
    ['404', await app.inject({ method: 'GET', url: '/api/nothing-here' })],
    ['an unroutable URL (answered before any hook)', await app.inject({ method: 'GET', url: '/api/users/%c3%28' })],
    ['/healthz', await app.inject({ method: 'GET', url: '/healthz' })],
    ['CORS preflight', await app.inject({ method: 'OPTIONS', url: '/api/users/me', headers: { origin: 'http://localhost', 'access-control-request-method': 'GET' } })]
  ]
  for (const [what, res] of replies) {
    common(t, res.headers, what)
    t.equal(res.headers['content-security-policy'], API_CSP, `${what}: the API CSP`)
  }
})

t.test('the page keeps its CSP; the service worker its caching', async (t) => {
  ensureWebBuilt()
  const app = await build(t)
  for (const path of ['/', '/app.js', '/sw.js']) {
    const res = await app.inject({ method: 'GET', url: path })
    t.equal(res.statusCode, 200, path)
    common(t, res.headers, path)
    t.equal(res.headers['content-security-policy'], PAGE_CSP, `${path}: the page CSP`)
  }
  const sw = await app.inject({ method: 'GET', url: '/sw.js' })
  t.equal(sw.headers['cache-control'], 'no-cache')
  t.equal(sw.headers['service-worker-allowed'], '/')
})

t.test('/docs: its own CSP, scripts from this origin only', async (t) => {
  const app = await build(t)
  for (const path of ['/docs', '/docs/static/index.html', '/docs/json']) {
    const res = await app.inject({ method: 'GET', url: path })
    t.ok(res.statusCode === 200 || res.statusCode === 302, `${path}: ${res.statusCode}`)
    common(t, res.headers, path)
    const csp = String(res.headers['content-security-policy'])
    t.match(csp, /script-src 'self'(;|$)/, `${path}: scripts from this origin only`)
    t.notMatch(csp, /unsafe-eval/, `${path}: no eval`)
  }
})

t.test('an uploaded file: sandboxed, nosniff, embeddable as an image by other origins', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const { payload, headers } = multipart([{ filename: 'pic.png', type: 'image/png', data: SAMPLES.png }])
  const up = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...headers, ...user.auth }, payload })
  t.equal(up.statusCode, 201)
  common(t, up.headers, 'the upload (JSON)')
  const res = await app.inject({ method: 'GET', url: up.json().url as string, headers: user.auth })
  t.equal(res.statusCode, 200)
  common(t, res.headers, 'the download')
  t.equal(res.headers['content-security-policy'], "default-src 'none';sandbox;frame-ancestors 'none'")
  t.equal(res.headers['cross-origin-resource-policy'], 'cross-origin')
})

t.test('Swagger UI and the page run in Chromium under their CSPs without a violation', async (t) => {
  ensureWebBuilt()
  // Chromium starts (or is found running) while the server comes up; the context below is this test's.
  const [{ url }] = await Promise.all([listen(t), sharedBrowser()])
  const page = await (await browserContext(t)).newPage()
  const violations: string[] = []
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()) })
  await page.goto(`${url}/docs`)
  await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 })
  t.ok(await page.locator('.opblock').count() > 30, 'Swagger UI lists the operations')
  await page.goto(url)
  await page.waitForSelector('[data-testid="auth-submit"]', { timeout: 30_000 })
  t.same(violations, [], 'no CSP violation')
})
