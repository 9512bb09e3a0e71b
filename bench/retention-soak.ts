/**
 * Retention soak (issue 28): the embedded store at a steady send rate with a short retention,
 * printing every minute the data directory's size on disk and the server's RSS, to see that
 * the store stays bounded (BENCHMARKS.md, "Retention soak").
 *
 *   nice -n 10 node --conditions=@relay-im/source --import ./test/typescript-loader.mjs bench/retention-soak.ts
 *
 * Settings (environment): SOAK_MINUTES (20), SOAK_RATE (messages per second, 50), SOAK_RETENTION_S
 * (60: RETENTION_DAYS is set to this many seconds as a fraction of a day), SOAK_PURGE_S (the
 * purge job's interval, 30), SOAK_VACUUM_S (VACUUM's interval, 300; the server's default is 6 h).
 * The server runs from source (Node's type stripping), niced like this script, as its own
 * process (its RSS is its own); messages go over REST into one group of two, ~100 characters each.
 */
import { spawn } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { openDatabase } from '../src/db/drivers.js'

const ROOT = resolve(import.meta.dirname, '..')
const MINUTES = Number(process.env.SOAK_MINUTES ?? 20)
const RATE = Number(process.env.SOAK_RATE ?? 50)
const RETENTION_S = Number(process.env.SOAK_RETENTION_S ?? 60)
const PURGE_S = process.env.SOAK_PURGE_S ?? '30'
const VACUUM_S = process.env.SOAK_VACUUM_S ?? '300'
const PORT = 3900 + Math.floor(Math.random() * 500)
const work = mkdtempSync(join(tmpdir(), 'relay-retention-soak-'))
const dataDir = join(work, 'data')
const API = `http://127.0.0.1:${PORT}/api`

const du = (dir: string): number => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0])
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1)

// The store is made (initdb, migrations) here first: done by the server under load and nice it
// can take longer than Fastify's 60 s plugin timeout (seen twice at a load average of 15-20).
const store = await openDatabase({ pgliteDir: join(dataDir, 'pglite'), poolMax: 1 })
await store.close()

const server = spawn(process.execPath, ['--conditions=@relay-im/source', '--import', './test/typescript-loader.mjs', 'src/server.ts'], {
  cwd: ROOT,
  env: {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(PORT),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SCRYPT_LOG_N: '10',
    ACCESS_TOKEN_TTL_S: String(MINUTES * 60 + 600),
    RETENTION_DAYS: String(RETENTION_S / 86_400),
    HOUSEKEEPING_RETENTION_INTERVAL_S: PURGE_S,
    HOUSEKEEPING_VACUUM_INTERVAL_S: VACUUM_S
  },
  stdio: ['ignore', 'inherit', 'inherit']
})

async function api<T> (path: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(`${API}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return await res.json() as T
}

try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${PORT}/healthz`)).ok) break } catch {}
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}) during its start`)
    if (i > 1800) throw new Error('server not up after 3 min')
    await sleep(100)
  }
  const user = async (name: string): Promise<{ id: string, token: string }> => {
    const s = await api<{ user: { id: string }, accessToken: string }>('/auth/register', { username: name, password: 'soak password 1234' })
    return { id: s.user.id, token: s.accessToken }
  }
  const alice = await user('soakalice')
  const bob = await user('soakbob')
  const group = await api<{ id: string }>('/groups', { name: 'soak', memberIds: [bob.id] }, alice.token)
  console.log(`soak: ${MINUTES} min at ${RATE} msg/s, retention ${RETENTION_S} s, purge every ${PURGE_S} s, VACUUM every ${VACUUM_S} s; DATA_DIR ${dataDir}`)
  console.log('minute | sent | history starts at | last seq | kept (rows) | data dir MB | server RSS MB | load average')
  const started = Date.now()
  let sent = 0
  let failed = 0
  let inFlight = 0
  let issued = 0
  const text = 'soak message '.padEnd(100, 'lorem ipsum ')
  const report = async (minute: number): Promise<void> => {
    const c = await api<{ historyStartsAt: number, lastSeq: number }>(`/conversations/${group.id}`, undefined, alice.token)
    const kept = c.lastSeq - Math.max(c.historyStartsAt, 1) + 1
    console.log(`${String(minute).padStart(6)} | ${String(sent).padStart(5)} | ${String(c.historyStartsAt).padStart(17)} | ${String(c.lastSeq).padStart(8)} | ${String(kept).padStart(11)} | ${mb(du(dataDir)).padStart(11)} | ${rssMb(server.pid ?? 0).toFixed(0).padStart(13)} | ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  }
  await report(0)
  let nextReport = 1
  while (Date.now() - started < MINUTES * 60_000) {
    const due = Math.floor((Date.now() - started) / 1000 * RATE)
    while (issued < due && inFlight < 8) {
      inFlight++
      const n = ++issued
      api(`/conversations/${group.id}/messages`, { clientMsgId: `soak-${n}-${started}`, type: 'text', content: `${n} ${text}` }, n % 2 === 0 ? alice.token : bob.token)
        .then(() => { sent++ }, () => { failed++ })
        .finally(() => { inFlight-- })
    }
    if (Date.now() - started >= nextReport * 60_000) await report(nextReport++)
    await sleep(10)
  }
  while (inFlight > 0) await sleep(10)
  await report(nextReport)
  console.log(`done: ${sent} sent, ${failed} failed in ${((Date.now() - started) / 60_000).toFixed(1)} min`)
} finally {
  if (server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM')
    await new Promise((r) => server.once('exit', r))
  }
  rmSync(work, { recursive: true, force: true })
}
