// How the test processes run TypeScript (.taprc `node-arg`). Node 22.18 and later strip types
// themselves, in the loading thread; all that is missing is TypeScript's NodeNext habit of
// importing `./x.js` for `./x.ts`, mapped here. Older Node goes through tsx, whose loader
// thread costs each test process about 1.5 s of CPU more to import the app.
import * as nodeModule from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Which branch runs depends on the Node version, and the hook runs only in test processes: no
// coverage to report for it (tap records this file's in its `before` process even with coverage off).
/* c8 ignore start */
// tap loads @tapjs/processinfo into every test process and every node process a test starts
// (servers, CLIs): for coverage it reads each module loaded and counts its lines, about 0.7 s
// of CPU per process. Without coverage nothing reads those records: children record nothing.
if (process.env.NODE_V8_COVERAGE === undefined && process.env.TAP_DISABLE_COVERAGE === '1') process.env._TAPJS_PROCESSINFO_EXCLUDE_ = '/./'
const { registerHooks, enableCompileCache } = nodeModule
// A test file's `import t from 'tap'` is its own test (test/pool/tap.ts): tap's root when the
// file runs alone, the file's subtest in a pool worker (test/pool/worker.ts).
const tapShim = new URL('./pool/tap.ts', import.meta.url).href
const isTestFile = (url) => url?.endsWith('.test.ts') === true
if (typeof process.features.typescript === 'string' && typeof registerHooks === 'function') {
  // V8's code cache for every module on disk, shared by the test processes and the servers
  // they start (the environment variable reaches those): importing the app costs about a third
  // less CPU in each process. Entries are keyed by source, so an edit is never served stale.
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'relay-test', 'compile')
  // Not while V8 collects coverage (`npm run test:coverage`): cached code would skip its counters.
  if (process.env.NODE_V8_COVERAGE === undefined) {
    process.env.NODE_COMPILE_CACHE ??= dir
    enableCompileCache?.(process.env.NODE_COMPILE_CACHE)
  }
  registerHooks({
    resolve (specifier, context, nextResolve) {
      if (specifier === 'tap' && isTestFile(context.parentURL)) return nextResolve(tapShim, context)
      // A TypeScript file's relative `./x.js` means `./x.ts`: tried first, since a failed
      // resolution (an error with its stack) costs more than the rare real `.js` next to it.
      if (specifier.endsWith('.js') && specifier.startsWith('.') && context.parentURL?.endsWith('.ts') === true) {
        try {
          return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
        } catch (err) {
          if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err
        }
      }
      return nextResolve(specifier, context)
    }
  })
} else {
  await import('tsx')
  // The same mapping of 'tap' for test files, as an off-thread hook (test/tap-hook.mjs).
  nodeModule.register('./tap-hook.mjs', import.meta.url, { data: { tapShim } })
}
/* c8 ignore stop */
