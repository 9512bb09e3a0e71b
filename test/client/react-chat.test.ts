// suite: default only — the React example in Chromium against a real server; the server paths it drives run on both engines in test/modules
import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { CHROMIUM, ROOT, browserContext } from '../web/fixtures.js'
import { clientFor, group, registerUser, server } from './fixtures.js'

t.setTimeout(120_000)
const EXAMPLE = join(ROOT, 'examples', 'react-chat')
const id = (testid: string): string => `[data-testid="${testid}"]`

/** Serves a folder's files on a loopback port; resolves with its origin. */
async function serveStatic (t: Test, dir: string): Promise<string> {
  const httpServer = createServer((req, res) => {
    const name = basename(new URL(req.url ?? '/', 'http://x').pathname) || 'index.html'
    const path = join(dir, name)
    if (!existsSync(path)) { res.writeHead(404).end(); return }
    res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(readFileSync(path))
  })
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => httpServer.close(() => { resolve() })))
  return `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`
}

t.test('examples/react-chat: the hooks list conversations, show and page messages, and follow live changes', { skip: existsSync(CHROMIUM) ? false : 'no Chromium' }, async (t) => {
  execFileSync(process.execPath, [join(EXAMPLE, 'build.mjs')], { cwd: EXAMPLE, stdio: 'pipe' })
  // The built example on its own origin, as an app deployed apart from the server.
  const site = await serveStatic(t, join(EXAMPLE, 'dist'))
  const srv = await server(t, { ALLOWED_ORIGINS: site })
  const password = 'correct horse battery'
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const g = await group(srv.app, b, [a])
  const cb = clientFor(t, srv, b)
  await cb.connect()
  for (let i = 1; i <= 25; i++) await cb.send({ conversationId: g, type: 'text', content: `old ${i}` })

  const context = await browserContext(t)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(`${site}/index.html#server=${encodeURIComponent(srv.url)}&user=${encodeURIComponent(a.username)}&password=${encodeURIComponent(password)}`)

  await page.waitForSelector(`${id('status')}:text("online")`)
  const conversation = page.locator(id('conversation'))
  await t.resolves(conversation.first().waitFor(), 'the conversation list')
  t.equal(await conversation.count(), 1)
  t.equal(await conversation.first().getAttribute('data-unread'), '25', 'unread from the server')
  t.equal(await page.textContent(id('last')), ' old 25')

  await conversation.first().locator('button').click()
  const messages = page.locator(id('message'))
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 20, id('message'))
  t.match(await messages.last().textContent(), /old 25$/, 'the newest page')
  await page.click(id('older'))
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 25, id('message'))
  t.match(await messages.first().textContent(), /old 1$/, 'older history on demand')
  t.equal(await page.locator(id('older')).count(), 0, 'nothing older')

  // Live: a message from b, then mine (shown once, with the server's seq).
  await cb.send({ conversationId: g, type: 'text', content: 'live from b' })
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 26, id('message'))
  t.equal(await conversation.first().getAttribute('data-unread'), '26')
  await page.fill(id('draft'), 'hello from react')
  await page.press(id('draft'), 'Enter')
  await page.waitForSelector(`${id('message')}[data-seq="27"]`)
  t.equal(await messages.count(), 27, 'my message once')
  t.match(await messages.last().textContent(), /hello from react$/)
  await page.waitForSelector(`${id('conversation')}[data-unread="0"]`)
  t.pass('sending read the conversation')

  // A recall reaches the open list and the conversation's last message.
  const m = await cb.send({ conversationId: g, type: 'text', content: 'oops' })
  await page.waitForSelector(`${id('message')}[data-seq="${m.seq}"]`)
  await cb.recall(m.id)
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.endsWith('(recalled)') === true, `${id('message')}[data-seq="${m.seq}"]`)
  await page.click(id('read'))
  await page.waitForSelector(`${id('conversation')}[data-unread="0"]`)
  t.same(errors, [], 'no page errors')
})
