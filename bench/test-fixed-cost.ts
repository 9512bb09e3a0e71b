/**
 * The fixed CPU cost of one default-suite test process (issue 21): importing the test helper
 * (and with it the app), opening the prepared PGlite, the first app build, one request.
 * Run it as the test processes run (the same loader):
 *   node bench/test-fixed-cost.mjs [runs] [probe file]   # p50, p99, max of `runs` fresh processes, one after another
 * This file is one such process; it prints one JSON line of CPU seconds per phase.
 */
const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
const phases: Record<string, number> = {}
let last = cpu()
const mark = (name: string): void => { const now = cpu(); phases[name] = +(now - last).toFixed(3); last = now }
phases.boot = +last.toFixed(3)

const tap = (await import('tap')).default
mark('tap')
const { build, sharedPglite } = await import('../test/helper.js')
mark('import')
await sharedPglite()
mark('pglite')
await tap.test('one request', async (t) => {
  const app = await build(t)
  mark('build')
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 200)
  mark('request')
})
tap.teardown(() => {
  mark('teardown')
  process.stderr.write(`${JSON.stringify({ ...phases, total: +cpu().toFixed(3) })}\n`)
})
