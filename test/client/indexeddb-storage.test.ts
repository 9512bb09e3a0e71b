// suite: default only — the SDK's IndexedDB adapter in Chromium; no database involved
import t from 'tap'
import { existsSync } from 'node:fs'
import { build } from 'esbuild'
import { type Page } from 'playwright-core'
import { CHROMIUM, ROOT, browserContext } from '../web/fixtures.js'

t.setTimeout(120_000)
const ORIGIN = 'http://sdk.test'

/** The adapter bundled for the page the way an app would bundle it (esbuild, browser platform). */
async function bundle (): Promise<string> {
  const result = await build({
    stdin: { contents: "export { IndexedDbStorage } from '@relay-im/client/offline'", resolveDir: ROOT, loader: 'js' },
    bundle: true,
    conditions: ['@relay-im/source'],
    format: 'iife',
    globalName: 'RelayOffline',
    platform: 'browser',
    target: ['es2022'],
    write: false,
    logLevel: 'error'
  })
  return result.outputFiles[0]!.text
}

t.test('IndexedDbStorage in Chromium: values round-trip, keys by prefix, delete, and they outlive the page', { skip: existsSync(CHROMIUM) ? false : 'no Chromium' }, async (t) => {
  const js = await bundle()
  const context = await browserContext(t)
  // A real origin (IndexedDB is per origin), served from here.
  await context.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname
    if (path === '/offline.js') await route.fulfill({ contentType: 'text/javascript', body: js })
    else await route.fulfill({ contentType: 'text/html', body: '<!doctype html><script src="/offline.js"></script>' })
  })
  const open = async (): Promise<Page> => {
    const page = await context.newPage()
    await page.goto(`${ORIGIN}/`)
    return page
  }

  const page = await open()
  const first = await page.evaluate(async () => {
    const { IndexedDbStorage } = (globalThis as any).RelayOffline
    const s = new IndexedDbStorage('relay-test')
    const missing = await s.get('outbox')
    await s.set('outbox', [{ kind: 'send', input: { conversationId: 'c', type: 'text', content: 'hé 👋', clientMsgId: 'k1' } }])
    await s.set('messages:c1', [{ id: 'm1', seq: 1 }])
    await s.set('messages:c2', [])
    await s.set('tokens', { accessToken: 'a', refreshToken: 'r' })
    await s.set('tokens', { accessToken: 'a2', refreshToken: 'r2' })
    const value = await s.get('outbox')
    const keys = (await s.keys('messages:')).sort()
    await s.delete('messages:c2')
    const afterDelete = await s.keys('messages:')
    await s.close()
    const other = new IndexedDbStorage('relay-other')
    const separate = await other.get('tokens')
    await other.close()
    return { missing: missing ?? null, value, keys, afterDelete, separate: separate ?? null }
  })
  t.equal(first.missing, null, 'absent key: undefined')
  t.same(first.value, [{ kind: 'send', input: { conversationId: 'c', type: 'text', content: 'hé 👋', clientMsgId: 'k1' } }], 'JSON round-trip')
  t.same(first.keys, ['messages:c1', 'messages:c2'], 'keys by prefix')
  t.same(first.afterDelete, ['messages:c1'], 'deleted')
  t.equal(first.separate, null, 'another database name is another store')
  await page.close()

  // A new page of the same origin: what a restarted app sees.
  const again = await open()
  const later = await again.evaluate(async () => {
    const { IndexedDbStorage } = (globalThis as any).RelayOffline
    const s = new IndexedDbStorage('relay-test')
    const out = { tokens: await s.get('tokens'), outbox: await s.get('outbox'), keys: await s.keys('') }
    await s.close()
    return out
  })
  t.same(later.tokens, { accessToken: 'a2', refreshToken: 'r2' }, 'the last write won and outlived the page')
  t.equal((later.outbox as unknown[]).length, 1)
  t.same((later.keys as string[]).sort(), ['messages:c1', 'outbox', 'tokens'])
})
