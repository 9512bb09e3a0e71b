import { execFileSync } from 'node:child_process'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'
import { existsSync, readdirSync, statSync } from 'node:fs'
import tap, { type Test } from 'tap'
import { befriend, listen, registerUser, type TestUser } from '../helper.js'
import type { App } from '../../src/app.js'
import type { RawConfig } from '../../src/config.js'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'

export const ROOT = join(import.meta.dirname, '..', '..')
/**
 * The page tests' browser: Debian's build of Chromium's headless shell (the old headless mode,
 * what Playwright runs headless by default): the same engine without the browser's own UI,
 * a fifth less of the machine's CPU across the page tests (233 -> 189 s). `CHROMIUM_FULL`, the
 * whole browser, for what only it has: showing a service worker's notifications.
 */
export const CHROMIUM = '/usr/bin/chromium-headless-shell'
export const CHROMIUM_FULL = '/usr/bin/chromium'
/** What to run when a browser is missing (the CI script installs both). */
const INSTALL_CHROMIUM = 'apt-get install -y chromium-headless-shell chromium'
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // Chromium 156 renders each window's omnibox popup as WebUI, in two renderer processes of
  // its own, even headless: every browser context paid for them, about 1.3 s of the machine's
  // CPU per context (10 contexts, each one page for 1 s: 16-19 s with them, 4.6 s without).
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup'
]

function newestMtime (dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** Builds the page (scripts/build-web.mjs) when it is missing or older than its sources. */
export function ensureWebBuilt (): void {
  const bundle = join(ROOT, 'dist/web/app.js')
  const sources = Math.max(newestMtime(join(ROOT, 'src/web')), newestMtime(join(ROOT, 'packages/client/src')))
  if (existsSync(bundle) && existsSync(join(ROOT, 'dist/web/index.html')) && existsSync(join(ROOT, 'dist/web/sw.js')) && statSync(bundle).mtimeMs >= sources) return
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT, stdio: 'inherit' })
}

/** A real PNG (RGB gradient), so the browser has something to decode and show. */
export function gradientPng (width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.writeUInt8(8, 8) // bit depth
  ihdr.writeUInt8(2, 9) // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1)
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round(255 * x / width)
      raw[row + 2 + x * 3] = Math.round(255 * y / height)
      raw[row + 3 + x * 3] = 200
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))
  ])
}

/**
 * A browser context for the page tests. On Node older than 22.18 the tests run under tsx
 * (test/typescript-loader.mjs), whose esbuild transform keeps function names by wrapping named inner functions in a `__name(…)` helper; a function handed
 * to the page (`page.evaluate`, `addInitScript`) carries that call but not the helper, so each
 * context defines it first, as the identity it stands for.
 */
export async function newContext (browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options)
  await context.addInitScript('globalThis.__name ??= (fn) => fn')
  return context
}

const browsers = new Map<string, Promise<Browser>>()
/**
 * One Chromium per test process (a pool worker runs many page test files), launched at the
 * first page test and closed when the process's tests end; each test works in contexts of its
 * own, which share no cookies, storage or permissions, and closes them. A launch was about 1 s
 * of the machine's CPU and a context half that, and 48 page tests launched one each. Launched
 * again if it is gone (a crash). `full`: the whole browser instead of the headless shell.
 */
export async function sharedBrowser (opts: { full?: boolean } = {}): Promise<Browser> {
  const executablePath = opts.full === true ? CHROMIUM_FULL : CHROMIUM
  if (!existsSync(executablePath)) throw new Error(`Chromium is missing at ${executablePath}: install it with "${INSTALL_CHROMIUM}" (the CI script does)`)
  const browser = browsers.get(executablePath)
  if (browser !== undefined) {
    const running = await browser.catch(() => undefined)
    if (running?.isConnected() === true) return running
  } else {
    tap.teardown(async () => { await (await browsers.get(executablePath)?.catch(() => undefined))?.close() })
  }
  const launched = chromium.launch({ executablePath, args: CHROMIUM_ARGS }) as Promise<Browser>
  browsers.set(executablePath, launched)
  return await launched
}

/** A context of the shared browser, closed at the test's teardown. */
export async function browserContext (t: Test, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await newContext(await sharedBrowser(), options)
  t.teardown(async () => { await context.close().catch(() => {}) })
  return context
}

/** Console errors that are expected while a page goes offline or a socket reconnects. */
const EXPECTED_CONSOLE = /Failed to load resource|ERR_INTERNET_DISCONNECTED|WebSocket/

export interface PageWorldOptions {
  /** Server config overrides (as for `listen`). */
  config?: Partial<RawConfig>
  /** Registers a first user while Chromium starts: it pays for lazy start-up work. */
  warmUp?: boolean
  /** Also counts the pages' console errors (other than the expected offline ones) as errors. */
  consoleErrors?: boolean
  /** The whole browser (`CHROMIUM_FULL`) instead of the headless shell. */
  fullBrowser?: boolean
}

/** A server and a browser for one test file or test, torn down with the test that made them. */
export interface PageWorld {
  app: App
  url: string
  browser: Browser
  /** Errors from every page opened through `openPage` (or handed to `watch`), with its label. */
  errors: string[]
  /** A browser context made with `newContext`, closed at teardown. */
  context: (options?: BrowserContextOptions) => Promise<BrowserContext>
  /** A new context with one page whose errors are collected, prefixed with `label` when given. */
  openPage: (options?: BrowserContextOptions, label?: string) => Promise<{ context: BrowserContext, page: Page }>
  /** Collects a page's errors into `errors`. */
  watch: (page: Page, label?: string) => void
}

/**
 * Builds the page if needed, starts the server and (in a new process) Chromium side by side,
 * and closes the contexts it made at `t`'s teardown. Fails when Chromium is missing.
 */
export async function pageWorld (t: Test, options: PageWorldOptions = {}): Promise<PageWorld> {
  ensureWebBuilt()
  const [{ app, url }, browser] = await Promise.all([
    listen(t, options.config).then(async (server) => { if (options.warmUp === true) await registerUser(server.app); return server }),
    sharedBrowser({ full: options.fullBrowser })
  ])
  const contexts: BrowserContext[] = []
  t.teardown(async () => {
    for (const c of contexts) await c.close().catch(() => {})
  })
  const errors: string[] = []
  const watch = (page: Page, label?: string): void => {
    const push = (message: string): void => { errors.push(label === undefined ? message : `${label}: ${message}`) }
    page.on('pageerror', (err) => { push(err.message) })
    if (options.consoleErrors === true) page.on('console', (msg) => { if (msg.type() === 'error' && !EXPECTED_CONSOLE.test(msg.text())) push(msg.text()) })
  }
  const context = async (contextOptions: BrowserContextOptions = {}): Promise<BrowserContext> => {
    const c = await newContext(browser, contextOptions)
    contexts.push(c)
    return c
  }
  const openPage = async (contextOptions: BrowserContextOptions = {}, label?: string): Promise<{ context: BrowserContext, page: Page }> => {
    const c = await context(contextOptions)
    const page = await c.newPage()
    watch(page, label)
    return { context: c, page }
  }
  return { app, url, browser, errors, context, openPage, watch }
}

/** How long a page test waits for something to show. */
export const WAIT = 10_000
/** The selector of an element by its data-testid. */
export const id = (testid: string): string => `[data-testid="${testid}"]`

/** A user made through the API, with a display name. */
export async function namedUser (app: App, displayName: string): Promise<TestUser> {
  const u = await registerUser(app)
  const res = await app.inject({ method: 'PATCH', url: '/api/users/me', headers: u.auth, payload: { displayName } })
  if (res.statusCode !== 200) throw new Error(res.body)
  return u
}

/**
 * A page of its own for `u`, signed in with a fresh session (one per browser context: refresh
 * tokens rotate) that the page resumes from storage; `onPage` runs before it loads; `options`
 * add to the context's (locale, time zone, viewport).
 */
export async function signedInPage (world: PageWorld, u: TestUser, onPage: (page: Page) => void = () => {}, options: BrowserContextOptions = {}): Promise<{ ctx: BrowserContext, page: Page }> {
  const login = await world.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: 'correct horse battery' } })
  if (login.statusCode !== 200) throw new Error(login.body)
  const ctx = await world.context({ viewport: { width: 1000, height: 720 }, ...options })
  await ctx.addInitScript((value) => { if (localStorage.getItem('relay.tokens') === null) localStorage.setItem('relay.tokens', value) }, login.body)
  const page = await ctx.newPage()
  world.watch(page)
  onPage(page)
  await page.goto(world.url)
  await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  return { ctx, page }
}

/** A page world with Alice Liddell and Bob Builder, friends, and their direct conversation. */
export async function aliceAndBob (t: Test, options: PageWorldOptions = {}): Promise<{ world: PageWorld, app: App, alice: TestUser, bob: TestUser, direct: string }> {
  const world = await pageWorld(t, options)
  const { app } = world
  const alice = await namedUser(app, 'Alice Liddell')
  const bob = await namedUser(app, 'Bob Builder')
  await befriend(app, alice, bob)
  const res = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: alice.auth, payload: { userId: bob.id } })
  if (res.statusCode !== 200 && res.statusCode !== 201) throw new Error(res.body)
  return { world, app, alice, bob, direct: res.json().id as string }
}

/** Opens the conversation with this title from the list and waits for its chat. */
export async function openChat (page: Page, title: string): Promise<void> {
  await page.click(`${id('conversation')}[data-title="${title}"]`)
  await page.waitForSelector(`${id('chat-title')}:text-is("${title}")`, { timeout: WAIT })
}
