// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { ensureClientDist } from './fixtures.js'

const ROOT = join(import.meta.dirname, '..', '..')
const PKG = join(ROOT, 'packages', 'client')

/**
 * The bundle budget written in packages/client/README.md ("Size"): minified + gzip, bytes.
 * 24 KiB since threads, scheduled messages, two-factor sign-in and link previews came to the
 * client (about 20.1 KB before them, 23.1 KB after).
 */
const SIZE_BUDGET_GZIP = 24 * 1024


t.test('npm pack holds only what an app needs: dist js + d.ts, README, CHANGELOG, LICENSE, package.json', async (t) => {
  ensureClientDist()
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PKG, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const [pack] = JSON.parse(out) as Array<{ name: string, files: Array<{ path: string }> }>
  t.equal(pack!.name, '@relay-im/client')
  const files = pack!.files.map((f) => f.path).sort()
  const allowed = (p: string): boolean =>
    /^dist\/((state|offline)\/)?[\w-]+\.(js|d\.ts)$/.test(p) || ['README.md', 'CHANGELOG.md', 'LICENSE', 'package.json'].includes(p)
  t.same(files.filter((p) => !allowed(p)), [], 'nothing else (no sources, tests, maps or tsconfig)')
  for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/protocol.js', 'dist/protocol.d.ts', 'README.md', 'CHANGELOG.md', 'LICENSE', 'package.json']) {
    t.ok(files.includes(needed), `has ${needed}`)
  }
})

t.test('socket.io-client is the only runtime dependency; exports point into dist', async (t) => {
  const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'))
  t.same(Object.keys(pkg.dependencies), ['socket.io-client'])
  t.equal(pkg.type, 'module')
  t.equal(pkg.license, 'MIT')
  t.equal(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).license, 'MIT', 'the server too')
  for (const entry of ['.', './protocol', './state', './offline']) {
    t.match(pkg.exports[entry].types, /^\.\/dist\/.+\.d\.ts$/, `${entry} types`)
    t.match(pkg.exports[entry].default, /^\.\/dist\/.+\.js$/, `${entry} default`)
  }
  t.equal(pkg.version, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies['@relay-im/client'], 'the server depends on this version')
  t.match(readFileSync(join(PKG, 'CHANGELOG.md'), 'utf8'), `## ${pkg.version}`, 'the CHANGELOG has the version')
})

async function gzipped (contents: string): Promise<{ min: number, gzip: number }> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    write: false,
    logLevel: 'error'
  })
  const bytes = result.outputFiles[0]!.contents
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

t.test(`size: the SDK bundled for browsers stays under ${SIZE_BUDGET_GZIP} bytes gzipped`, async (t) => {
  ensureClientDist()
  // The published dist (no source condition here), as an app's bundler sees it.
  const floor = await gzipped("export { io } from 'socket.io-client'")
  const sdk = await gzipped("export * from '@relay-im/client'")
  const protocol = await gzipped("export * from '@relay-im/client/protocol'")
  t.comment(`socket.io-client alone: ${floor.min} B minified, ${floor.gzip} B gzipped (the floor)`)
  t.comment(`@relay-im/client: ${sdk.min} B minified, ${sdk.gzip} B gzipped (budget ${SIZE_BUDGET_GZIP})`)
  t.comment(`@relay-im/client/protocol: ${protocol.min} B minified, ${protocol.gzip} B gzipped`)
  t.ok(sdk.gzip > floor.gzip, 'socket.io-client is inside the bundle')
  t.ok(sdk.gzip <= SIZE_BUDGET_GZIP, `${sdk.gzip} <= ${SIZE_BUDGET_GZIP}`)
  t.ok(protocol.gzip < 1024, 'the protocol module is constants only (under 1 KiB)')
  const readme = readFileSync(join(PKG, 'README.md'), 'utf8')
  t.match(readme, `${SIZE_BUDGET_GZIP.toLocaleString('en-US')} bytes`, 'the budget is written in the README')
})
