// Regenerates docs/screenshots: each main screen of the page at 1280 and 390 px wide, in
// English and (the chat) in Simplified Chinese. Starts its own server (embedded PGlite in a
// temporary folder) and Debian's Chromium, as the page tests do. Run: npm run screenshots
import { chromium, type Browser, type Page } from 'playwright-core'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { CHROMIUM_FULL, CHROMIUM_ARGS, ensureWebBuilt, ROOT } from '../test/web/fixtures.js'

const OUT = join(ROOT, 'docs/screenshots')
const WIDTHS = [1280, 390] as const
const PASSWORD = 'correct horse battery'
const id = (testid: string): string => `[data-testid="${testid}"]`

ensureWebBuilt()
mkdirSync(OUT, { recursive: true })
const dataDir = mkdtempSync(join(tmpdir(), 'relay-shots-'))
const app = await buildApp(loadConfig({}, {
  NODE_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: 'screenshots-secret-that-is-at-least-32-characters', LOG_LEVEL: 'silent', PORT: 0, HOST: '127.0.0.1', JOBS_WORKER: false
}))
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
if (address === null || typeof address === 'string') throw new Error('no address')
const url = `http://127.0.0.1:${address.port}`

async function api<T> (method: 'GET' | 'POST' | 'PATCH', path: string, token: string | undefined, payload?: object): Promise<T> {
  const res = await app.inject({ method, url: `/api${path}`, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload } : {}) })
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`)
  return res.json() as T
}
interface Session { accessToken: string, user: { id: string } }
async function user (username: string, displayName: string): Promise<Session & { login: string }> {
  const s = await api<Session>('POST', '/auth/register', undefined, { username, password: PASSWORD, displayName })
  return { ...s, login: JSON.stringify(await api('POST', '/auth/login', undefined, { username, password: PASSWORD })) }
}
const say = async (from: Session, conversationId: string, content: string): Promise<void> => {
  await api('POST', `/conversations/${conversationId}/messages`, from.accessToken, { type: 'text', content, clientMsgId: randomUUID() })
}

// ---- a small world: three people, a direct chat across two days, a group and a channel
const alice = await user('alice', 'Alice Liddell')
const bob = await user('bob', 'Bob Builder')
const carol = await user('carol', '王小明')
for (const [a, b] of [[alice, bob], [alice, carol]] as const) {
  const req = await api<{ id: string }>('POST', '/friends/requests', a.accessToken, { toUserId: b.user.id })
  await api('POST', `/friends/requests/${req.id}/accept`, b.accessToken)
}
const direct = await api<{ id: string }>('POST', '/conversations/direct', alice.accessToken, { userId: bob.user.id })
await say(bob, direct.id, 'Morning! Did you see the plan at https://example.com/plan ?')
await say(alice, direct.id, 'Yes, looks good 👍')
const yesterday = new Date(Date.now() - 86_400_000)
await app.prisma.message.updateMany({ where: { conversationId: direct.id }, data: { createdAt: yesterday } })
await say(bob, direct.id, 'Lunch at one?')
await say(bob, direct.id, '🎉')
await say(alice, direct.id, 'Sure, see you there.')
const group = await api<{ id: string }>('POST', '/groups', alice.accessToken, { name: 'Weekend trip', memberIds: [bob.user.id, carol.user.id] })
await say(carol, group.id, '周六早上八点出发，可以吗？')
await say(bob, group.id, 'Works for me')
await api('POST', '/channels', alice.accessToken, { name: 'announcements', topic: 'News for everyone' })

const browser = await chromium.launch({ executablePath: CHROMIUM_FULL, args: CHROMIUM_ARGS }) as Browser
async function page (width: number, locale: string, login?: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height: width === 390 ? 780 : 800 }, locale, deviceScaleFactor: 1 })
  await ctx.addInitScript('globalThis.__name ??= (fn) => fn')
  if (login !== undefined) await ctx.addInitScript((value) => { localStorage.setItem('relay.tokens', value) }, login)
  const p = await ctx.newPage()
  await p.goto(url)
  await p.waitForSelector(login === undefined ? id('auth-form') : `${id('conn-status')}[data-status="online"]`)
  return p
}
const shot = async (p: Page, name: string, width: number): Promise<void> => {
  await p.waitForTimeout(300)
  await p.screenshot({ path: join(OUT, `${name}-${width}.png`) })
  console.log(`docs/screenshots/${name}-${width}.png`)
}

try {
  for (const width of WIDTHS) {
    const signIn = await page(width, 'en-US')
    await shot(signIn, 'sign-in', width)
    await signIn.click(id('auth-toggle'))
    await shot(signIn, 'sign-up', width)

    const p = await page(width, 'en-US', alice.login)
    await shot(p, 'chats', width)
    await p.click(`${id('conversation')}[data-title="Bob Builder"]`)
    await p.waitForSelector(`${id('message')}:has-text("see you there")`)
    await shot(p, 'chat', width)
    const newest = p.locator(id('message')).last()
    await newest.hover()
    await newest.locator(id('message-menu')).click()
    await shot(p, 'chat-menu', width)
    await p.mouse.click(2, 2)
    if (width === 390) await p.click(id('back'))
    await p.click(`${id('conversation')}[data-title="Weekend trip"]`)
    await p.waitForSelector(`${id('message')}:has-text("Works for me")`)
    await shot(p, 'group', width)
    if (width === 390) await p.click(id('back'))
    await p.click(id('tab-contacts'))
    await shot(p, 'contacts', width)

    const zh = await page(width, 'zh-CN', alice.login)
    await zh.click(`${id('conversation')}[data-title="Weekend trip"]`)
    await zh.waitForSelector(`${id('message')}:has-text("Works for me")`)
    await shot(zh, 'chat-zh-CN', width)
  }
} finally {
  await browser.close()
  await app.close()
  rmSync(dataDir, { recursive: true, force: true })
}
