import { execFileSync } from 'node:child_process'
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'

export const ROOT = join(import.meta.dirname, '..', '..')
export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'
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
 * A browser context for the page tests. The tests run under tsx, whose esbuild transform keeps
 * function names by wrapping named inner functions in a `__name(…)` helper; a function handed
 * to the page (`page.evaluate`, `addInitScript`) carries that call but not the helper, so each
 * context defines it first, as the identity it stands for.
 */
export async function newContext (browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options)
  await context.addInitScript('globalThis.__name ??= (fn) => fn')
  return context
}
