#!/usr/bin/env node
// Bundles the example into dist/ (app.js and index.html): React, the hooks, the SDK and
// socket.io-client in one file. Inside this repository the SDK and the hooks come from their
// TypeScript sources (the @relay-im/source condition), so nothing needs building first.
import { build } from 'esbuild'
import { copyFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, 'dist')
await mkdir(out, { recursive: true })
await build({
  entryPoints: [join(here, 'src/main.tsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  conditions: ['@relay-im/source'],
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  jsx: 'automatic',
  minify: true,
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning'
})
await copyFile(join(here, 'index.html'), join(out, 'index.html'))
