/**
 * Run by tap's `before` script (test/before.mjs): makes the prepared stores (test/prepared-databases.ts) once,
 * before the test files start in parallel. The PostgreSQL template only for the services suite.
 * Also removes the file claims of pool runs (test/pool/worker.ts) that ended hours ago.
 */
import { readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { POOL_DIR as pool } from './pool/files.js'
import { ensureEmptyPgliteDump, ensurePreparedPgliteDir, ensurePreparedPgliteDump, preparedTemplate } from './prepared-databases.js'

for (const run of (() => { try { return readdirSync(pool) } catch { return [] } })()) {
  if (Date.now() - statSync(join(pool, run)).mtimeMs > 6 * 3600_000) rmSync(join(pool, run), { recursive: true, force: true })
}
await ensureEmptyPgliteDump()
await ensurePreparedPgliteDump()
await ensurePreparedPgliteDir()
if (process.env.TEST_SERVICES === '1') await preparedTemplate()
