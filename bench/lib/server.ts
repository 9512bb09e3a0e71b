import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { log } from './log.js'

export const ROOT = resolve(import.meta.dirname, '..', '..')
/**
 * The server under test: this checkout's build, or another checkout's (BENCH_SERVER_ROOT, e.g.
 * a worktree of an earlier commit) to measure before and after with one harness in one session.
 */
export const SERVER_ROOT = resolve(process.env.BENCH_SERVER_ROOT ?? ROOT)
const SERVER_ENTRY = join(SERVER_ROOT, 'dist', 'src', 'server.js')
const RELAY_ENTRY = join(ROOT, 'bench', 'relay.ts')
const ECHO_ENTRY = join(ROOT, 'bench', 'echo.ts')
/**
 * Children get a high open-file limit (10,000+ sockets need as many descriptors): 65536, or
 * the hard limit when that is lower (raising it needs CAP_SYS_RESOURCE, absent in containers).
 */
export const NOFILE = (() => {
  const hard = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()
  return hard === 'unlimited' || hard === '' ? 65536 : Math.min(65536, Number(hard) || 65536)
})()

function newestMtime (path: string): number {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = 0
  for (const name of readdirSync(path)) {
    if (name === 'web' && path.endsWith('src')) continue // not part of the server build
    newest = Math.max(newest, newestMtime(join(path, name)))
  }
  return newest
}

/** `npm run build` when dist/src/server.js is missing or older than src/ or prisma/. */
export function ensureBuild (skip: boolean): void {
  const built = existsSync(SERVER_ENTRY) ? statSync(SERVER_ENTRY).mtimeMs : 0
  const sources = Math.max(newestMtime(join(SERVER_ROOT, 'src')), newestMtime(join(SERVER_ROOT, 'prisma')))
  if (built >= sources) return
  if (skip && built > 0) {
    log('dist is older than src, using it anyway (--no-build)')
    return
  }
  log('building the server (npm run build)')
  const r = spawnSync('npm', ['run', 'build'], { cwd: SERVER_ROOT, stdio: ['ignore', 2, 2] })
  if (r.status !== 0) {
    if (!existsSync(SERVER_ENTRY)) throw new Error('npm run build failed and there is no dist to run')
    log('npm run build failed; running the existing dist')
  }
}

export async function freePort (): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => { resolvePort(typeof addr === 'object' && addr !== null ? addr.port : 0) })
    })
  })
}

/** `nice -n N` (which execs in place, like prlimit) when N is not 0. */
export const niced = (n: number): string[] => n === 0 ? [] : ['nice', '-n', String(n)]

export interface Running {
  kind: 'server' | 'relay' | 'echo'
  port: number
  url: string
  proc: ChildProcess
  pid: number
  logFile: string
  startedAt: number
  /** ms from spawn until answering (healthz 200: migrated and listening) */
  readyMs: number
}

/** Settings that keep the server's abuse limits out of a load test; the rest are production defaults. */
export function serverEnv (extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT_MAX: '1000000',
    SOCKET_EVENTS_PER_S: '100000',
    MAX_CONNECTIONS_PER_IP: '1000000',
    SCRYPT_LOG_N: '10',
    // The generator's chat text names real sites: fetching their previews would measure this
    // machine's network, not the server (--env LINK_PREVIEWS=true turns them back on).
    LINK_PREVIEWS: 'false',
    ...extra
  }
}

/**
 * Starts the production build (or the bare relay) under `prlimit`, which execs it in place so
 * the pid is the server's own, and waits until it answers.
 */
export async function start (kind: 'server' | 'relay' | 'echo', port: number, env: Record<string, string>, logFile: string, nodeArgs: string[] = [], nice = 0): Promise<Running> {
  const entry = kind === 'server' ? [SERVER_ENTRY] : ['--import', 'tsx', kind === 'relay' ? RELAY_ENTRY : ECHO_ENTRY]
  const startedAt = performance.now()
  const [cmd, ...args] = [...niced(nice), 'prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--', process.execPath, ...nodeArgs, ...entry]
  const proc = spawn(cmd!, args, {
    cwd: kind === 'server' ? SERVER_ROOT : ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const out = createWriteStream(logFile, { flags: 'a' })
  proc.stdout?.pipe(out)
  proc.stderr?.pipe(out)
  let exited: number | null | undefined
  proc.once('exit', (code) => { exited = code })
  const url = `http://127.0.0.1:${port}`
  // Liveness, not readiness: under a reconnect storm /readyz waits for a pooled connection
  // behind the storm's own queries, which would time the pool, not the start.
  const probe = kind === 'server' ? `${url}/healthz` : `${url}/`
  for (let i = 0; ; i++) {
    if (exited !== undefined) throw new Error(`${kind} exited (${exited}) during start; log:\n${tail(logFile)}`)
    try {
      const res = await fetch(probe, { signal: AbortSignal.timeout(1000) })
      if (res.ok) break
    } catch {}
    if (i > 1200) throw new Error(`${kind} not ready after 60 s; log:\n${tail(logFile)}`)
    await sleep(50)
  }
  return { kind, port, url, proc, pid: proc.pid ?? 0, logFile, startedAt, readyMs: performance.now() - startedAt }
}

/** Stops it with `signal` (SIGTERM: graceful close), SIGKILL after `graceMs`. */
export async function stop (r: Running, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
  if (r.proc.exitCode !== null || r.proc.signalCode !== null) return
  const done = new Promise<void>((resolveExit) => { r.proc.once('exit', () => { resolveExit() }) })
  r.proc.kill(signal)
  const timer = setTimeout(() => { r.proc.kill('SIGKILL') }, graceMs)
  await done
  clearTimeout(timer)
}

export function tail (file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}
