/**
 * Which test files a suite runs (test/pool/worker.ts takes them from here; .ci/run checks
 * that each ran once): every `test/**\/*.test.ts`; in the services suite (TEST_SERVICES=1)
 * not those whose first lines say `// suite: default only — <why>` (README, Tests).
 * `node test/pool/files.ts [--services]` prints the list.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** Where pool workers claim files, a directory per tap run (test/pool/worker.ts; test/setup.ts removes old runs). */
export const POOL_DIR = join(tmpdir(), 'relay-test-pool')
const DEFAULT_ONLY = /^\/\/ suite: default only\b/m

export function suiteFiles (services: boolean): string[] {
  return readdirSync(join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => relative(ROOT, join(ROOT, 'test', f)).replaceAll('\\', '/'))
    .filter((f) => !services || !DEFAULT_ONLY.test(readFileSync(join(ROOT, f), 'utf8').slice(0, 4000)))
    .sort()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const f of suiteFiles(process.argv.includes('--services'))) console.log(f)
}
