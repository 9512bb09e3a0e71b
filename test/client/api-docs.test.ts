// suite: default only — the SDK's generated API reference; no server involved
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..')
const TYPEDOC = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc')
const OPTIONS = join(ROOT, 'packages', 'typedoc.json')

function typedoc (args: string[]): { status: number | null, output: string } {
  const run = spawnSync(process.execPath, [TYPEDOC, '--options', OPTIONS, ...args], { cwd: ROOT, encoding: 'utf8' })
  return { status: run.status, output: run.stdout + run.stderr }
}

t.test('npm run docs:api: TypeDoc documents both packages and fails on an undocumented export', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'relay-api-'))
  t.teardown(() => { rmSync(out, { recursive: true, force: true }) })
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  t.equal(pkg.scripts['docs:api'], 'typedoc --options packages/typedoc.json')

  const ok = typedoc(['--out', out])
  t.equal(ok.status, 0, 'no warnings (they are errors)')
  if (ok.status !== 0) t.comment(ok.output)
  const client = readFileSync(join(out, 'classes', 'client_src.Client.html'), 'utf8')
  for (const method of ['send', 'searchUsers', 'addGroupMembers', 'block', 'updateMe', 'signal', 'upload']) t.match(client, `id="${method.toLowerCase()}"`, `Client.${method}`)
  t.ok(readFileSync(join(out, 'functions', 'react_src.useMessages.html'), 'utf8').includes('useMessages'), 'the React hooks')

  // The same options over one more entry point that exports an undocumented function.
  // Inside the package (only its files must be documented), outside every tsconfig's sources.
  const dir = mkdtempSync(join(ROOT, 'packages', 'client', 'typedoc-probe-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'probe.ts'), 'export function undocumented (): number { return 1 }\n')
  const options = JSON.parse(readFileSync(OPTIONS, 'utf8'))
  const probeOptions = join(dir, 'typedoc.json')
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(ROOT, 'packages', 'tsconfig.typedoc.json'), include: [join(ROOT, 'packages', 'client', 'src'), join(ROOT, 'packages', 'react', 'src'), join(dir, 'probe.ts')] }))
  writeFileSync(probeOptions, JSON.stringify({
    ...options,
    entryPoints: [...options.entryPoints.map((p: string) => join(ROOT, 'packages', p)), join(dir, 'probe.ts')],
    tsconfig: join(dir, 'tsconfig.json'),
    readme: join(ROOT, 'packages', options.readme),
    // Validation only: the pages themselves were checked above (2 of the run's 5 s)
    emit: 'none'
  }))
  const bad = spawnSync(process.execPath, [TYPEDOC, '--options', probeOptions], { cwd: ROOT, encoding: 'utf8' })
  t.not(bad.status, 0, 'an undocumented export fails the build')
  t.match(bad.stdout + bad.stderr, /undocumented.*does not have any documentation/)
})
