// suite: default only — the test runner's own logic, no query
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, suiteFiles } from './files.js'
import { order } from './worker.js'
import { currentFileTest } from './tap.js'

t.test('files are taken longest first, a file with no recorded time before all', async (t) => {
  t.same(order(['a', 'b', 'c', 'd'], { a: 1, b: 30, d: 2.5 }), ['c', 'b', 'd', 'a'])
  t.same(order(['y', 'x'], {}), ['x', 'y'], 'no times: by name')
})

t.test('the services suite leaves out exactly the files marked default-only', async (t) => {
  const all = suiteFiles(false)
  const services = new Set(suiteFiles(true))
  t.ok(all.includes('test/pool/pool.test.ts'))
  t.notOk(services.has('test/pool/pool.test.ts'), 'this file is marked')
  for (const f of all) {
    const marked = /^\/\/ suite: default only\b/m.test(readFileSync(join(ROOT, f), 'utf8').slice(0, 4000))
    if (marked === services.has(f)) t.fail(`${f}: marked ${marked}, in the services suite ${services.has(f)}`)
  }
  t.ok(services.size > 50 && services.size < all.length, `${services.size} of ${all.length}`)
})

t.test("a test file's `t` is its own test, alone or in a pool worker", async (t2) => {
  // Alone, tap's root; in a worker, the subtest named after this file.
  const pooled = process.argv[1]?.includes('test/pool/worker-') === true
  t2.equal(currentFileTest().name, pooled ? 'test/pool/pool.test.ts' : 'TAP')
  t2.equal(t.name, currentFileTest().name, "the `t` imported from 'tap' is that test")
})
