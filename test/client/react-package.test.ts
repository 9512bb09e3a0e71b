// suite: default only — the React package's packaging and size; no server involved
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import * as hooks from '@relay-im/react'

const ROOT = join(import.meta.dirname, '..', '..')
const PKG = join(ROOT, 'packages', 'react')
/** The budget written in packages/react/README.md ("Size"): minified + gzip, bytes. */
const SIZE_BUDGET_GZIP = 1024

t.test('@relay-im/react: MIT, React and the SDK as peers, the three hooks', async (t) => {
  const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'))
  t.equal(pkg.name, '@relay-im/react')
  t.equal(pkg.license, 'MIT')
  t.ok(existsSync(join(PKG, 'LICENSE')), 'LICENSE file')
  t.match(readFileSync(join(PKG, 'LICENSE'), 'utf8'), /MIT License/)
  t.same(Object.keys(pkg.peerDependencies).sort(), ['@relay-im/client', 'react'])
  t.notOk(pkg.dependencies, 'no runtime dependencies of its own')
  t.same(pkg.files.sort(), ['LICENSE', 'README.md', 'dist/**/*.d.ts', 'dist/**/*.js'])
  t.same(Object.keys(hooks).sort(), ['useConnectionState', 'useConversations', 'useMessages'])
})

t.test(`size: the hooks add at most ${SIZE_BUDGET_GZIP} bytes gzipped beside React and the SDK`, async (t) => {
  const result = await build({
    stdin: { contents: "export * from '@relay-im/react'", resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    conditions: ['@relay-im/source'],
    external: ['react', '@relay-im/client', '@relay-im/client/*'],
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    write: false,
    logLevel: 'error'
  })
  const gzip = gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length
  t.comment(`@relay-im/react: ${gzip} B gzipped (budget ${SIZE_BUDGET_GZIP})`)
  t.ok(gzip <= SIZE_BUDGET_GZIP, `${gzip} <= ${SIZE_BUDGET_GZIP}`)
  t.match(readFileSync(join(PKG, 'README.md'), 'utf8'), `${SIZE_BUDGET_GZIP.toLocaleString('en-US')} bytes`, 'the budget is written in the README')
})

t.test('the package and examples/react-chat type-check and the package builds', async (t) => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  t.doesNotThrow(() => execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'examples', 'react-chat', 'tsconfig.json')], { stdio: 'pipe' }), 'example')
  t.doesNotThrow(() => execFileSync(process.execPath, [tsc, '-p', join(PKG, 'tsconfig.json')], { stdio: 'pipe' }), 'package build')
  t.ok(existsSync(join(PKG, 'dist', 'index.d.ts')))
})
