/**
 * Summarises a V8 .cpuprofile (node --cpu-prof, or `npm run bench -- ... --cpu-prof`):
 *   npx tsx bench/profile-top.ts <file.cpuprofile> [top=25]
 * prints the functions and the packages with the most self time.
 */
import { readFileSync } from 'node:fs'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number, children?: number[] }
interface Profile { nodes: Node[], startTime: number, endTime: number, samples?: number[], timeDeltas?: number[] }

const [file, topArg] = process.argv.slice(2)
if (file === undefined) {
  process.stderr.write('usage: tsx bench/profile-top.ts <file.cpuprofile> [top]\n')
  process.exit(2)
}
const top = Number(topArg ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile

// Self time per node from the sample deltas (hitCount alone ignores the sampling interval).
const selfUs = new Map<number, number>()
const samples = profile.samples ?? []
const deltas = profile.timeDeltas ?? []
for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0))
const total = [...selfUs.values()].reduce((a, b) => a + b, 0)

const where = (url: string): string => {
  if (url === '') return '(native/V8)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (url.startsWith('node:')) return 'node core'
  const i = url.indexOf('/dist/src/')
  return i >= 0 ? `app ${url.slice(i + 10)}` : url.replace(/^file:\/\//, '')
}

const byFn = new Map<string, number>()
const byPkg = new Map<string, number>()
for (const n of profile.nodes) {
  const us = selfUs.get(n.id) ?? 0
  if (us === 0) continue
  const { functionName, url, lineNumber } = n.callFrame
  const key = `${functionName || '(anonymous)'}  ${where(url)}${url === '' ? '' : ':' + String(lineNumber + 1)}`
  byFn.set(key, (byFn.get(key) ?? 0) + us)
  const pkg = where(url).split(' ')[0] === 'app' ? 'app (dist/src)' : where(url)
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us)
}
const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)} %`
const show = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`\n${title}\n`)
  for (const [k, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`)
}
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`)
show('self time by package', byPkg)
show('self time by function', byFn)
