#!/usr/bin/env node
/**
 * Builds what `npm start` runs: the SDK package (the server imports its protocol module), the
 * Prisma client, the server (tsc to dist/src) and the web page (dist/web). A step runs only
 * when one of its inputs is newer than its output, so a start with nothing changed costs no
 * build; `--all` runs every step (`npm run build`).
 * Modification times cannot see a deleted source file: after deleting one, use `npm run build`.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stale } from './lib/freshness.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const at = (...parts) => join(root, ...parts)
const all = process.argv.includes('--all')
const tsc = at('node_modules', 'typescript', 'bin', 'tsc')
// The server's sources are src/ without the page (src/web is bundled by its own step).
const serverSources = readdirSync(at('src')).filter((name) => name !== 'web').map((name) => at('src', name))

const steps = [
  {
    name: 'SDK (packages/client)',
    output: at('packages', 'client', 'dist', 'index.js'),
    inputs: [at('packages', 'client', 'src'), at('packages', 'client', 'tsconfig.json')],
    command: [process.execPath, tsc, '-p', at('packages', 'client', 'tsconfig.json')]
  },
  {
    name: 'Prisma client (src/generated)',
    output: at('src', 'generated', 'prisma', 'client.ts'),
    inputs: [at('prisma', 'schema.prisma'), at('prisma.config.ts')],
    command: [process.execPath, at('scripts', 'prisma.mjs'), 'generate']
  },
  {
    name: 'server (dist/src)',
    output: at('dist', 'src', 'server.js'),
    inputs: [...serverSources, at('packages', 'client', 'dist'), at('tsconfig.json'), at('tsconfig.build.json')],
    command: [process.execPath, tsc, '-p', at('tsconfig.build.json')]
  },
  {
    name: 'web page (dist/web)',
    output: at('dist', 'web', 'app.js'),
    inputs: [at('src', 'web'), at('packages', 'client', 'src'), at('scripts', 'build-web.mjs')],
    command: [process.execPath, at('scripts', 'build-web.mjs')]
  }
]

const started = Date.now()
let built = 0
for (const step of steps) {
  // Judged one after the other: a step's output is the next one's input.
  if (!all && !stale(step.output, step.inputs)) continue
  const t0 = Date.now()
  const out = spawnSync(step.command[0], step.command.slice(1), { cwd: root, stdio: 'inherit' })
  if (out.status !== 0) {
    // tsc writes its output even when it reports errors: make sure the next run tries again.
    rmSync(step.output, { force: true })
    console.error(`build: ${step.name} failed`)
    process.exit(out.status ?? 1)
  }
  built++
  console.log(`build: ${step.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}
console.log(built === 0
  ? `build: up to date (checked in ${Date.now() - started} ms)`
  : `build: ${built} of ${steps.length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`)
