#!/usr/bin/env node
// Builds the browser page (src/web) into dist/web: one bundled, minified app.js (the SDK and
// socket.io-client included, nothing loaded from elsewhere at run time) plus index.html and
// styles.css, and the service worker sw.js (a classic script at the root, so its scope is the
// whole page). The server serves dist/web at `/` (src/app.ts).
import { build } from 'esbuild'
import { copyFile, mkdir, rm } from 'node:fs/promises'
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
await Promise.all(['index.html', 'styles.css'].map((f) => copyFile(join(src, f), join(out, f))))
const bytes = [...Object.values(result.metafile.outputs), ...Object.values(worker.metafile.outputs)].reduce((n, o) => n + o.bytes, 0)
console.log(`web page built into dist/web (${Math.round(bytes / 1024)} KiB with source map)`)
