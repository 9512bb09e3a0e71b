#!/usr/bin/env node
// Builds the browser page (src/web) into dist/web: one bundled, minified app.js (the SDK and
// socket.io-client included, nothing loaded from elsewhere at run time) plus index.html and
// styles.css, boot-lang.js (index.html's text in the user's language), and the service worker sw.js (a classic script at the root, so its scope is the
// whole page). The server serves dist/web at `/` (src/app.ts).
import { build } from 'esbuild'
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src/web')
const out = join(root, 'dist/web')

await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })
const result = await build({
  entryPoints: [join(src, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  // The SDK from its TypeScript source (packages/client/src), so the page never needs its dist.
  conditions: ['@relay-im/source'],
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true
})
// The service worker: a classic script (not a module) for the widest support.
const worker = await build({
  entryPoints: [join(src, 'sw.ts')],
  outfile: join(out, 'sw.js'),
  bundle: true,
  conditions: ['@relay-im/source'],
  format: 'iife',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true
})
// Runs before the body is parsed: sets <html lang> so only the boot text in that language shows.
const bootLang = await build({
  entryPoints: [join(src, 'boot-lang.ts')],
  outfile: join(out, 'boot-lang.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true
})
await copyFile(join(src, 'styles.css'), join(out, 'styles.css'))
await writeFile(join(out, 'index.html'), await indexHtml())
const bytes = [result, worker, bootLang].flatMap((r) => Object.values(r.metafile.outputs)).reduce((n, o) => n + o.bytes, 0)
console.log(`web page built into dist/web (${Math.round(bytes / 1024)} KiB with source map)`)

/**
 * index.html with its text from the catalogues: each `{{key}}` becomes the string in every
 * language, each in its own `lang` span (styles.css shows the one of <html lang>).
 */
async function indexHtml () {
  const catalogues = await build({
    stdin: { contents: "export { en } from './en.ts'\nexport { zhCN } from './zh-CN.ts'", resolveDir: join(src, 'i18n'), loader: 'ts' },
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'warning'
  })
  const { en, zhCN } = await import(`data:text/javascript,${encodeURIComponent(catalogues.outputFiles[0].text)}`)
  const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  const template = await readFile(join(src, 'index.html'), 'utf8')
  return template.replace(/\{\{([\w.]+)\}\}/g, (whole, key) => {
    if (!(key in en)) throw new Error(`index.html names ${key}, which the catalogue lacks`)
    return `<span lang="en">${escape(en[key])}</span> <span lang="zh-CN">${escape(zhCN[key])}</span>`
  })
}
