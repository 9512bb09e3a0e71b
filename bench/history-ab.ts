/**
 * History pages against two builds in the same minutes, on one kept database (a `history`
 * run with --keep-db): each build's server in turn, `--rounds` times, each round `--seconds`
 * of GET /conversations/:id/messages?before=<random seq>&limit=50 at `--rate` pages/s, open
 * loop from this process, timed from each request's due time. Prints p50/p99/max, server CPU
 * per page and the load average for every round.
 *
 *   npx tsx bench/history-ab.ts --url postgresql://postgres@127.0.0.1:5432/bench_x \
 *     --a /path/to/before-checkout --b . [--rate 100] [--seconds 15] [--rounds 3] [--messages 1000000]
 *     [--cpu-prof-dir DIR]   (each server under node --cpu-prof, profiles in DIR/A and DIR/B)
 *
 * Each root needs its dist (npm run build).
 */
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { loadavg, tmpdir } from 'node:os'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { Histogram, round2 } from './lib/histogram.js'
import { directId, signAccessToken, userId } from './lib/ids.js'
import { readProc } from './lib/proc.js'
import { serverEnv } from './lib/server.js'

const { values } = parseArgs({
  options: {
    url: { type: 'string' }, a: { type: 'string' }, b: { type: 'string', default: '.' },
    rate: { type: 'string', default: '100' }, seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '3' }, messages: { type: 'string', default: '1000000' },
    'cpu-prof-dir': { type: 'string' }
  }
})
if (values.url === undefined || values.a === undefined) throw new Error('--url and --a are required')
const rate = Number(values.rate); const seconds = Number(values.seconds); const messages = Number(values.messages)
const secret = 'history-ab-secret-0123456789abcdef0123456789'
const token = signAccessToken(secret, userId(0), 3600)

async function round (label: string, root: string, port: number): Promise<void> {
  const env = serverEnv({ JWT_SECRET: secret, DATA_DIR: join(tmpdir(), `history-ab-${port}`), DATABASE_URL: values.url! })
  const proc = spawn(process.execPath, [...(values['cpu-prof-dir'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(resolve(values['cpu-prof-dir']), label.slice(0, 1))}`]), join(resolve(root), 'dist', 'src', 'server.js')], { cwd: resolve(root), env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) }, stdio: 'ignore' })
  const base = `http://127.0.0.1:${port}`
  try {
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${base}/healthz`)).ok) break } catch {}
      if (i > 600) throw new Error(`${label}: not ready`)
      await sleep(100)
    }
    const page = async (): Promise<number> => {
      const before = 51 + Math.floor(Math.random() * (messages - 51))
      const res = await fetch(`${base}/api/conversations/${directId(0)}/messages?before=${before}&limit=50`, { headers: { authorization: `Bearer ${token}` } })
      await res.arrayBuffer()
      return res.status
    }
    for (let i = 0; i < 200; i++) await page() // warm-up: JIT, prepared statements, the pool
    const h = new Histogram()
    let errors = 0
    const cpu0 = readProc(proc.pid!)!.cpuS
    const started = performance.now()
    const total = rate * seconds
    const pending: Array<Promise<void>> = []
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      pending.push(page().then((s) => { if (s !== 200) errors++; h.record(performance.now() - due) }))
    }
    await Promise.all(pending)
    const cpuMs = (readProc(proc.pid!)!.cpuS - cpu0) * 1000
    console.log(`${label}: ${total} pages, errors ${errors}, p50 ${round2(h.quantile(0.5))} ms, p90 ${round2(h.quantile(0.9))} ms, p99 ${round2(h.quantile(0.99))} ms, max ${round2(h.max)} ms, ` +
      `server CPU ${round2(cpuMs / total)} ms/page, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  } finally {
    proc.kill('SIGTERM')
    await new Promise((r) => proc.once('exit', r))
  }
}

for (let r = 0; r < Number(values.rounds); r++) {
  await round('A ' + values.a, values.a, 39101)
  await round('B ' + values.b, values.b!, 39102)
}
