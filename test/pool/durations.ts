/**
 * Rewrites one suite's times in test/pool/durations.json from a tap log of that suite
 * (`--reporter=tap`), which the pool workers read to take the longest files first:
 *   npm test -- --reporter=tap | tee /tmp/default.tap
 *   node --import=./test/typescript-loader.mjs test/pool/durations.ts default < /tmp/default.tap
 * (.ci/run keeps each suite's log; a stale or missing time only makes the order less good.)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const suite = process.argv[2]
if (suite !== 'default' && suite !== 'services') throw new Error('usage: durations.ts default|services < tap log')
const path = join(dirname(fileURLToPath(import.meta.url)), 'durations.json')
const all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, number>>
const times: Record<string, number> = {}
for (const m of readFileSync(0, 'utf8').matchAll(/^ *(?:not )?ok \d+ - (test\/\S+\.test\.ts) # time=([0-9.]+)ms/gm)) {
  times[m[1] as string] = Math.round(Number(m[2]) / 100) / 10
}
if (Object.keys(times).length === 0) throw new Error('no test file times in the log')
all[suite] = Object.fromEntries(Object.entries(times).sort(([a], [b]) => a.localeCompare(b)))
writeFileSync(path, `${JSON.stringify(all, null, 1)}\n`)
console.log(`${suite}: ${Object.keys(times).length} files`)
