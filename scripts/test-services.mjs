#!/usr/bin/env node
/**
 * `npm run test:services`: the test files whose behaviour depends on the database engine,
 * Redis or several nodes, run again on PostgreSQL + Redis (TEST_SERVICES=1).
 *
 * Every file runs in both suites unless its first lines say `// suite: default only — <why>`
 * (pure logic, the browser page, the SDK's own behaviour, the embedded store's own faults): a
 * new file is tested on both engines until someone decides otherwise, in the file, with a reason.
 * Files named on the command line run as given. Coverage is the default suite's to report.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const MARK = /^\/\/ suite: default only\b/m

export function defaultOnlyFiles () {
  return readdirSync(join(root, 'test'), { recursive: true })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => relative(root, join(root, 'test', f)).replaceAll('\\', '/'))
    .filter((f) => MARK.test(readFileSync(join(root, f), 'utf8').slice(0, 4000)))
    .sort()
}

const args = process.argv.slice(2)
const namesFiles = args.some((a) => !a.startsWith('-') && a.endsWith('.ts'))
const excludes = namesFiles ? [] : defaultOnlyFiles().flatMap((f) => ['--exclude', f])
const tap = spawn(process.execPath, [join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), '--disable-coverage', ...excludes, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TEST_SERVICES: '1' }
})
tap.on('exit', (code, signal) => { process.exit(code ?? (signal !== null ? 1 : 0)) })
