/**
 * tap's `before` script (.taprc): makes the prepared stores (test/prepared-databases.ts) once,
 * before the test files start in parallel. The PostgreSQL template only for the services suite.
 */
import { emptyPgliteDump, preparedPgliteDump, preparedTemplate } from './prepared-databases.js'

await emptyPgliteDump()
await preparedPgliteDump()
if (process.env.TEST_SERVICES === '1') await preparedTemplate()
