#!/usr/bin/env node
/**
 * `npm run test:services`: the test files whose behaviour depends on the database engine,
 * Redis or several nodes, run again on PostgreSQL + Redis (TEST_SERVICES=1).
 *
 * Every file runs in both suites unless its first lines say `// suite: default only — <why>`
 * (pure logic, the browser page, the SDK's own behaviour, the embedded store's own faults): a
 * new file is tested on both engines until someone decides otherwise, in the file, with a reason.
 * The pool workers (test/pool/worker.ts) leave those files out; files named on the command
 * line run as given. Coverage is the default suite's to report.
 */
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tap = spawn(process.execPath, [join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), '--disable-coverage', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TEST_SERVICES: '1' }
})
tap.on('exit', (code, signal) => { process.exit(code ?? (signal !== null ? 1 : 0)) })
