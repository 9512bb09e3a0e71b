#!/usr/bin/env node
/**
 * Before the tests (npm's pretest): the SDK's dist (packed and installed by test/client, run by
 * the example) and the web page's bundle (served to the browser tests), each rebuilt only when
 * a source is newer than what was built, so running one test file again costs no build.
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stale } from './lib/freshness.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function run (script) {
  const out = spawnSync('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' })
  if (out.status !== 0) process.exit(out.status ?? 1)
}

const client = join(root, 'packages', 'client')
if (stale(join(client, 'dist', 'index.js'), [join(client, 'src'), join(client, 'tsconfig.json')])) run('build:client')

if (stale(join(root, 'dist', 'web', 'app.js'), [join(root, 'src', 'web'), join(client, 'src'), join(root, 'scripts', 'build-web.mjs')])) run('build:web')
