// How the test processes run TypeScript (.taprc `node-arg`). Node 22.18 and later strip types
// themselves, in the loading thread; all that is missing is TypeScript's NodeNext habit of
// importing `./x.js` for `./x.ts`, mapped here. Older Node goes through tsx, whose loader
// thread costs each test process about 1.5 s of CPU more to import the app.
import * as nodeModule from 'node:module'

// Which branch runs depends on the Node version, and the hook runs only in test processes: no
// coverage to report for it (tap records this file's in its `before` process even with coverage off).
/* c8 ignore start */
const { registerHooks } = nodeModule
if (typeof process.features.typescript === 'string' && typeof registerHooks === 'function') {
  registerHooks({
    resolve (specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context)
      } catch (err) {
        if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.endsWith('.js') || context.parentURL?.endsWith('.ts') !== true) throw err
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
      }
    }
  })
} else {
  await import('tsx')
}
/* c8 ignore stop */
