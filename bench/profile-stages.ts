/**
 * Splits a server CPU profile of a one-to-one run into the send path's stages:
 *   npx tsx bench/profile-stages.ts <file.cpuprofile> <messages>
 * Each sample goes to the first stage of the list below found anywhere on its stack (a
 * JSON.stringify inside the fan-out is fan-out, not socket encoding; the pg parse of the
 * send statement's reply is "statement: decode").
 * Per-message figures divide by <messages> (every message of the run, warm-up included).
 * `writev` is listed apart: the profiler samples wall time, and a thread descheduled inside
 * the socket write syscall (it wakes the receiver) is charged there.
 */
import { readFileSync } from 'node:fs'

interface Node { id: number, callFrame: { functionName: string, url: string }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

const [file, messagesArg] = process.argv.slice(2)
if (file === undefined || messagesArg === undefined) {
  process.stderr.write('usage: tsx bench/profile-stages.ts <file.cpuprofile> <messages>\n')
  process.exit(2)
}
const messages = Number(messagesArg)
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(p.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

/** In priority order: a sample belongs to the first of these found on its stack. */
const STAGES: Array<[string, (fn: string, url: string) => boolean]> = [
  ['gc', (fn) => fn === '(garbage collector)'],
  ['idle', (fn) => fn === '(idle)'],
  ['kernel socket write (writev, wall time)', (fn) => fn === 'writev'],
  ['fan-out: payload, encode, write', (fn, url) => fn === 'toMembers' && url.includes('fanout')],
  ['ack: encode, write', (fn, url) => fn === 'reply' && url.includes('dispatcher')],
  ['statement: encode, bind, pool', (fn, url) => /node_modules\/(pg|pg-pool)\//.test(url) && ['submit', 'prepare', 'query', '_pulseQueue', 'connect', '_acquireClient'].includes(fn)],
  ['statement: decode reply', (fn, url) => url.includes('pg-protocol') || /node_modules\/(pg|pg-types|postgres-date|postgres-array)\//.test(url)],
  ['group commit', (_fn, url) => url.includes('group-commit') || url.includes('send-statement')],
  ['send service, content checks', (_fn, url) => url.includes('message-service') || url.includes('conversations/content')],
  ['dispatch: rate limit, validation', (_fn, url) => url.includes('realtime/dispatcher') || url.includes('typebox') || url.includes('normalise-ids') || url.includes('token-bucket')],
  ['socket receive, decode', (_fn, url) => /node_modules\/(ws|engine\.io|engine\.io-parser|socket\.io|socket\.io-parser|socket\.io-adapter)\//.test(url)],
  ['metrics', (_fn, url) => url.includes('prom-client') || url.includes('modules/metrics')],
  ['start-up (modules, plugins)', (fn, url) => url.includes('avvio') || fn === 'compileSourceTextModule' || fn === 'wrapSafe' || url.includes('modules/cjs') || url.includes('modules/esm')]
]

const total = new Map<string, number>()
for (let i = 0; i < p.samples.length; i++) {
  const us = p.timeDeltas[i] ?? 0
  const frames: Array<{ fn: string, url: string }> = []
  for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
    const n = byId.get(id)!
    frames.push({ fn: n.callFrame.functionName, url: n.callFrame.url })
  }
  const stage = STAGES.find(([, test]) => frames.some((f) => test(f.fn, f.url)))?.[0] ?? 'other (timers, pollers, runtime)'
  total.set(stage, (total.get(stage) ?? 0) + us)
}
const busy = [...total].filter(([k]) => k !== 'idle' && !k.startsWith('kernel') && !k.startsWith('start-up')).reduce((a, [, v]) => a + v, 0)
process.stdout.write(`${file}: ${messages} messages; busy (no idle, writev, start-up) ${(busy / 1000).toFixed(0)} ms = ${(busy / 1000 / messages).toFixed(3)} ms per message\n`)
for (const [k, us] of [...total].sort((a, b) => b[1] - a[1])) {
  process.stdout.write(`${(us / 1000).toFixed(0).padStart(8)} ms ${(us / 1000 / messages).toFixed(3).padStart(7)} ms/msg  ${k}\n`)
}
