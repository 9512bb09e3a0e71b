// suite: default only — the browser page; the server's refresh grace runs on both engines in test/modules/auth
import t from 'tap'
import { createHash } from 'node:crypto'
import { type Page } from 'playwright-core'
import { listen, registerUser } from '../helper.js'
import { ensureWebBuilt, WAIT, id, sharedBrowser, browserContext } from './fixtures.js'

/**
 * Two tabs of the page in one browser share one stored session. Their access tokens expire
 * every ACCESS_TOKEN_TTL_S (the least the config allows) and at the same moment, so both
 * tabs need a refresh at once, again and again; neither may sign the other out, and both
 * keep sending.
 */
// ~25 s of token expiries plus the browser: about 40 s alone.
t.setTimeout(180_000)

const TTL_S = 10
const RUN_MS = 2 * TTL_S * 1000 + 5000
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

function message (page: Page, text: string) {
  return page.locator(id('message'), { has: page.locator(id('message-text'), { hasText: text }) }).last()
}

async function send (page: Page, text: string): Promise<void> {
  await page.fill(id('composer-input'), text)
  await page.press(id('composer-input'), 'Enter')
  await message(page, text).waitFor({ timeout: WAIT })
}

t.test('two tabs of one session refresh again and again without signing each other out', async (t) => {
  ensureWebBuilt()
  const [{ app, url }] = await Promise.all([
    listen(t, { ACCESS_TOKEN_TTL_S: TTL_S }),
    sharedBrowser()
  ])
  const [owner, friend] = [await registerUser(app), await registerUser(app)]
  const made = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'Tabs', memberIds: [friend.id] } })
  t.equal(made.statusCode, 201)
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: owner.username, password: 'correct horse battery' } })
  const tokens = login.json() as { accessToken: string, refreshToken: string }
  const family = (await app.prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: sha256(tokens.refreshToken) } })).familyId

  const ctx = await browserContext(t, { viewport: { width: 1000, height: 720 } })
  await ctx.addInitScript((value) => { if (localStorage.getItem('relay.tokens') === null) localStorage.setItem('relay.tokens', value) }, JSON.stringify(tokens))
  const errors: string[] = []
  const tabs: Page[] = []
  for (let i = 0; i < 2; i++) {
    const page = await ctx.newPage()
    page.on('pageerror', (err) => { errors.push(err.message) })
    page.on('console', (msg) => { if (msg.type() === 'error' && !/Failed to load resource|WebSocket/.test(msg.text())) errors.push(msg.text()) })
    await page.goto(url)
    await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
    await page.click(`${id('conversation')}[data-title="Tabs"]`)
    await page.waitForSelector(`${id('chat-title')}:text-is("Tabs")`, { timeout: WAIT })
    tabs.push(page)
  }
  const [first, second] = tabs as [Page, Page]

  // Both tabs hold the same access token, so both are told it expired at the same moment.
  const started = Date.now()
  for (let i = 0; Date.now() - started < RUN_MS; i++) {
    const page = i % 2 === 0 ? first : second
    await send(page, `tab${i % 2} #${i}`)
    await page.waitForTimeout(1500)
  }

  const rows = await app.prisma.refreshToken.findMany({ where: { familyId: family } })
  t.ok(rows.length >= 3, `the session was refreshed at least twice (${rows.length - 1} rotations)`)
  t.same(rows.filter((r) => r.revokedAt !== null), [], 'nothing revoked')
  for (const [i, page] of tabs.entries()) {
    t.equal(await page.locator(id('auth-submit')).count(), 0, `tab ${i} is still signed in`)
    await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
    await send(page, `tab${i} still here`)
  }
  await message(first, 'tab1 still here').waitFor({ timeout: WAIT })
  await message(second, 'tab0 still here').waitFor({ timeout: WAIT })
  const live = (await app.prisma.refreshToken.findMany({ where: { familyId: family, rotatedAt: null } }))[0]
  const stored = JSON.parse(await first.evaluate(() => localStorage.getItem('relay.tokens') ?? '{}')) as { refreshToken?: string }
  t.equal(sha256(stored.refreshToken ?? ''), live?.tokenHash, 'the stored refresh token is the live one')
  t.same(errors, [], 'no page errors')
})
