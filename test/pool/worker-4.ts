// A pool worker (test/pool/worker.ts): one of the suite's test processes.
import { runWorker } from './worker.js'

await runWorker()
