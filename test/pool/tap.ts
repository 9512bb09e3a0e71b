/**
 * What a test file gets from `import t from 'tap'` (test/typescript-loader.mjs maps the import
 * here for every `*.test.ts`): the test of that file. A test file runs either alone in its
 * process (`npm test -- <file>`), where that is tap's root, or as one subtest of a pool worker
 * (test/pool/worker.ts), where it is the subtest named after the file: its `t.jobs`,
 * `t.teardown` and `t.before` are the file's own, not the process's.
 */
import tap from 'tap'

let fileTest: typeof tap | undefined

/** Pool workers only: the file now running (undefined again when it has ended). */
export function setFileTest (t: typeof tap | undefined): void { fileTest = t }

const target = (): typeof tap => fileTest ?? tap

/** The test of the file now running: tap's root, or the file's subtest in a pool worker. */
export const currentFileTest = target

export default new Proxy(tap, {
  get (_, key) {
    const t = target()
    const value = Reflect.get(t, key, t)
    return typeof value === 'function' ? value.bind(t) : value
  },
  set (_, key, value) { return Reflect.set(target(), key, value) },
  has (_, key) { return Reflect.has(target(), key) }
})
