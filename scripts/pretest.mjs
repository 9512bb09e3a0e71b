#!/usr/bin/env node
/**
 * Before the tests (npm's pretest): the SDK's dist (packed and installed by test/client, run by
 * the example) and the web page's bundle (served to the browser tests), each rebuilt only when
 * a source is newer than what was built, so running one test file again costs no build.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Newest modification time of the files under `dir` (0 when there are none). */
function newest (dir) {
  let time = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) time = Math.max(time, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs)
  }
  return time
}

const builtAt = (file) => existsSync(file) ? statSync(file).mtimeMs : -1

function run (script) {
  const out = spawnSync('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' })
  if (out.status !== 0) process.exit(out.status ?? 1)
}

const client = join(root, 'packages', 'client')
const sdkSource = Math.max(newest(join(client, 'src')), statSync(join(client, 'tsconfig.json')).mtimeMs)
if (builtAt(join(client, 'dist', 'index.js')) < sdkSource) run('build:client')

const pageSource = Math.max(newest(join(root, 'src', 'web')), newest(join(client, 'src')), statSync(join(root, 'scripts', 'build-web.mjs')).mtimeMs)
if (builtAt(join(root, 'dist', 'web', 'app.js')) < pageSource) run('build:web')
