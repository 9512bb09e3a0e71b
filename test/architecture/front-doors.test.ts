// suite: default only — static analysis of the source tree, no database
import t from 'tap'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SRC = join(ROOT, 'src')
const MODULES = join(SRC, 'modules')
const SKIPPED = [join(SRC, 'generated'), join(SRC, 'web')]

function tsFiles (dir: string): string[] {
  if (SKIPPED.includes(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return tsFiles(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The module folder a path lies in (src/modules/<name>/…), or undefined outside src/modules. */
function moduleOf (path: string): string | undefined {
  const rel = relative(MODULES, path)
  if (rel.startsWith('..') || !rel.includes(sep)) return undefined
  return rel.split(sep)[0]
}

/** The file a relative specifier names: `./x.js` is x.ts; a folder is its index.ts. */
function resolveImport (from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier)
  const asTs = target.replace(/\.js$/, '.ts')
  if (existsSync(asTs)) return asTs
  if (existsSync(target) && statSync(target).isDirectory()) return join(target, 'index.ts')
  return asTs
}

/**
 * Imports (static, `export … from` and dynamic) that enter a module folder other than the
 * importing file's own at anything but its index.ts, as `file:line -> specifier`.
 */
export function frontDoorViolations (files: ReadonlyMap<string, string>): string[] {
  const found: string[] = []
  for (const [file, text] of files) {
    const own = moduleOf(file)
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      if (!ref.fileName.startsWith('.')) continue
      const target = resolveImport(file, ref.fileName)
      const targetModule = moduleOf(target)
      if (targetModule === undefined || targetModule === own) continue
      if (target === join(MODULES, targetModule, 'index.ts')) continue
      const line = text.slice(0, ref.pos).split('\n').length
      found.push(`${relative(ROOT, file)}:${line} -> ${ref.fileName}`)
    }
  }
  return found
}

/**
 * A node of the run-time graph: a module folder, or, elsewhere under src (plugins, delivery,
 * lib), the file itself, so that a cycle passing through a plugin is seen too.
 */
function nodeOf (path: string): string | undefined {
  const module = moduleOf(path)
  if (module !== undefined) return module
  const rel = relative(SRC, path)
  return rel.startsWith('..') ? undefined : rel.split(sep).join('/')
}

/** Module (or file outside the modules) → what it imports at run time (type-only imports are erased and cannot cycle at start; a dynamic import() runs later). */
function runtimeModuleGraph (files: ReadonlyMap<string, string>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>()
  for (const [file, text] of files) {
    const own = nodeOf(file)
    if (own === undefined) continue
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest)
    for (const node of source.statements) {
      let specifier: ts.Expression | undefined
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause
        const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && clause.namedBindings !== undefined &&
          ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)))
        if (!typeOnly) specifier = node.moduleSpecifier
      } else if (ts.isExportDeclaration(node) && !node.isTypeOnly) specifier = node.moduleSpecifier
      if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue
      const target = nodeOf(resolveImport(file, specifier.text))
      if (target === undefined || target === own) continue
      graph.set(own, (graph.get(own) ?? new Set()).add(target))
    }
  }
  return graph
}

/** One cycle of the graph as `a -> b -> a`, or undefined. */
function findCycle (graph: ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  const done = new Set<string>()
  const visit = (node: string, path: string[]): string | undefined => {
    if (path.includes(node)) return [...path.slice(path.indexOf(node)), node].join(' -> ')
    if (done.has(node)) return undefined
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next, [...path, node])
      if (cycle !== undefined) return cycle
    }
    done.add(node)
    return undefined
  }
  for (const node of graph.keys()) {
    const cycle = visit(node, [])
    if (cycle !== undefined) return cycle
  }
  return undefined
}

t.test('every import into a module folder from outside it goes through its index.ts', async (t) => {
  const files = new Map(tsFiles(SRC).map((path) => [path, readFileSync(path, 'utf8')]))
  t.ok(files.size > 50, 'the source tree was read')
  t.same(frontDoorViolations(files), [])
})

t.test('no cycle between modules at run time (an ESM cycle through index.ts is a TDZ error at start)', async (t) => {
  const files = new Map(tsFiles(SRC).map((path) => [path, readFileSync(path, 'utf8')]))
  const graph = runtimeModuleGraph(files)
  t.ok((graph.get('messages')?.has('conversations')) === true, 'the graph holds the known edge messages -> conversations')
  t.equal(findCycle(graph), undefined)
  const a = join(MODULES, 'a', 'x.ts')
  const b = join(MODULES, 'b', 'y.ts')
  t.equal(findCycle(runtimeModuleGraph(new Map([[a, "import { y } from '../b/index.js'"], [b, "import { x } from '../a/index.js'"]]))), 'a -> b -> a')
  t.equal(findCycle(runtimeModuleGraph(new Map([[a, "import { y } from '../b/index.js'"], [b, "import type { X } from '../a/index.js'"]]))), undefined)
})

t.test('every module folder has an index.ts', async (t) => {
  const missing = readdirSync(MODULES).filter((name) => statSync(join(MODULES, name)).isDirectory() && !existsSync(join(MODULES, name, 'index.ts')))
  t.same(missing, [])
})

t.test('the check names the file and line of an import past a front door', async (t) => {
  const file = join(MODULES, 'account', 'example.ts')
  const text = [
    "import { a } from '../groups/index.js'",
    "import { b } from './service.js'",
    "import { c } from '../../lib/errors.js'",
    '',
    "import { d } from '../groups/service.js'",
    "export { e } from '../messages/routes.js'",
    "const f = await import('../channels/service.js')"
  ].join('\n')
  t.same(frontDoorViolations(new Map([[file, text]])), [
    'src/modules/account/example.ts:5 -> ../groups/service.js',
    'src/modules/account/example.ts:6 -> ../messages/routes.js',
    'src/modules/account/example.ts:7 -> ../channels/service.js'
  ])
  const fromApp = join(SRC, 'app.ts')
  t.same(frontDoorViolations(new Map([[fromApp, "import x from './modules/bots/webhooks.js'"]])), ['src/app.ts:1 -> ./modules/bots/webhooks.js'])
})
