/**
 * Run by tap's `before` script (test/before.mjs): makes the prepared stores (test/prepared-databases.ts) once,
 * before the test files start in parallel. The PostgreSQL template only for the services suite.
 */
import { ensureEmptyPgliteDump, ensurePreparedPgliteDump, preparedTemplate } from './prepared-databases.js'

await ensureEmptyPgliteDump()
await ensurePreparedPgliteDump()
if (process.env.TEST_SERVICES === '1') await preparedTemplate()
