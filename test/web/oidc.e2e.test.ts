// suite: default only — the page's own behaviour; the services suite runs the server paths (test/modules/auth/oidc.test.ts)
// About 30 s at load average 15: Chromium walking a real provider's (oidc-provider) login and
// consent pages twice, and the page's account dialog once.
import t from 'tap'
import { createServer } from 'node:net'
import { build, registerUser } from '../helper.js'
import { CLIENT_ID, CLIENT_SECRET, accountClaims, startProvider } from '../modules/auth/oidc-provider.js'
import { WAIT, ensureWebBuilt, id, browserContext } from './fixtures.js'
import type { Page } from 'playwright-core'

/** A free loopback port: the server's public URL (the callback's address) must be known before it starts. */
async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => { s.listen(0, '127.0.0.1', resolve) })
  const { port } = s.address() as { port: number }
  await new Promise<void>((resolve) => { s.close(() => { resolve() }) })
  return port
}

/** The provider's development login and consent pages, as a person fills them in. */
async function atProvider (page: Page, login: string): Promise<void> {
  await page.waitForSelector('input[name="login"]', { timeout: WAIT })
  await page.fill('input[name="login"]', login)
  await page.fill('input[name="password"]', 'anything')
  await page.click('button[type="submit"]')
  await page.waitForSelector('input[name="prompt"][value="consent"]', { timeout: WAIT, state: 'attached' })
  await page.click('button[type="submit"]')
}

t.test('sign in with a provider on the page, then link and unlink it from a password account', async (t) => {
  ensureWebBuilt()
  const provider = await startProvider(t)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  provider.addClient(`${url}/api/auth/oidc/local/callback`)
  const app = await build(t, {
    OIDC_PROVIDERS: JSON.stringify([{ id: 'local', name: 'Local IdP', issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }]),
    OIDC_PUBLIC_URL: url,
    OUTBOUND_ALLOWED_HOSTS: provider.hostPort
  })
  await app.listen({ port, host: '127.0.0.1' })
  const errors: string[] = []

  // A first sign-in: the button, the provider's pages, back on the page signed in as a new account.
  const ctx = await browserContext(t, { viewport: { width: 1000, height: 720 } })
  const page = await ctx.newPage()
  page.on('pageerror', (err) => { errors.push(err.message) })
  await page.goto(url)
  const button = await page.waitForSelector(id('oidc-local'), { timeout: WAIT })
  t.equal((await button.textContent())?.trim(), 'Sign in with Local IdP')
  const login = `carol${Date.now() % 1e6}`
  accountClaims.set(login, { name: 'Carol Provider' })
  await button.click()
  await atProvider(page, login)
  await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  t.equal(new URL(page.url()).hash, '', 'the one-time code is gone from the address bar')
  const identity = await app.prisma.oidcIdentity.findFirstOrThrow({ where: { subject: login } })
  const user = await app.prisma.user.findUniqueOrThrow({ where: { id: identity.userId } })
  t.equal(user.displayName, 'Carol Provider')
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('relay.tokens') ?? '{}') as { accessToken?: string })
  t.ok(stored.accessToken, 'the session is the page\'s own tokens')
  await ctx.close()

  // A password user links the provider from the account dialog, and unlinks it again.
  const dave = await registerUser(app)
  const session = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: dave.username, password: 'correct horse battery' } })
  const ctx2 = await browserContext(t, { viewport: { width: 1000, height: 720 } })
  await ctx2.addInitScript((value) => { if (localStorage.getItem('relay.tokens') === null) localStorage.setItem('relay.tokens', value) }, session.body)
  const page2 = await ctx2.newPage()
  page2.on('pageerror', (err) => { errors.push(err.message) })
  await page2.goto(url)
  await page2.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  await page2.click(id('totp-open'))
  await page2.click(id('oidc-link-local'))
  const daveLogin = `dave${Date.now() % 1e6}`
  await atProvider(page2, daveLogin)
  await page2.waitForSelector(id('oidc-notice'), { timeout: WAIT })
  t.equal((await app.prisma.oidcIdentity.findFirstOrThrow({ where: { subject: daveLogin } })).userId, dave.id, 'linked to the signed-in account')
  await page2.click(id('totp-open'))
  await page2.waitForSelector(`${id('oidc-link-row-local')}[data-linked="true"]`, { timeout: WAIT })
  await page2.click(id('oidc-unlink-local'))
  await page2.waitForSelector(`${id('oidc-link-row-local')}[data-linked="false"]`, { timeout: WAIT })
  t.equal(await app.prisma.oidcIdentity.count({ where: { userId: dave.id } }), 0, 'unlinked')
  await ctx2.close()
  t.same(errors, [], 'no page errors')
})
