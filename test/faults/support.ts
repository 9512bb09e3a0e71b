/**
 * Helpers for the fault tests: the production server (dist/src/server.js) as a child
 * process, private Redis and PostgreSQL instances this process may kill and restart, a TCP
 * balancer with failover, SDK clients and database checks.
 *
 * Every child is killed in teardown. Waits are upper bounds (the machine is small and
 * shared), never timings the test relies on.
 */
import type { Test } from 'tap'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, rmdirSync, statSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { createClient, type Client, type ClientOptions, type Message } from '@relay-im/client'
import { REDIS_ADAPTER } from '../helper.js'
import { copyPreparedPgliteDir } from '../prepared-databases.js'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** FAULTS_SERVER_JS: run another build (e.g. a patched copy) instead of this checkout's dist. */
export const SERVER_JS = process.env.FAULTS_SERVER_JS ?? join(ROOT, 'dist', 'src', 'server.js')
export const JWT_SECRET = 'fault-test-secret-that-is-at-least-32-characters-long'

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `cond` holds; rejects after timeoutMs (an upper bound). */
export async function until (cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await delay(everyMs)
  }
}

/** Resolves with `p`, or rejects after timeoutMs naming `what`. */
export async function within<T> (p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`${what}: not within ${timeoutMs} ms`)) }, timeoutMs)
    })])
  } finally {
    clearTimeout(timer)
  }
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      srv.close(() => { resolve(port) })
    })
  })
}

export function tempDir (t: Test, prefix = 'relay-fault-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/** Newest modification time of the .ts files under dir (generated code excluded). */
function newestSource (dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'generated' && entry.name !== 'web') newest = Math.max(newest, newestSource(path))
    } else if (entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs)
    }
  }
  return newest
}

/**
 * The tests run the built server. Compile it (tsc only: the web page and the Prisma client
 * are not needed for this) when it is missing or older than the sources; a lock keeps two
 * test files from compiling at once. Without type checking (`--noCheck`): tsc writes the same
 * files either way (compared with `diff -r`), the tests run TypeScript unchecked anyway, and
 * the types are `npm run typecheck`'s and CI's to check; checking was 19.5 of the build's 23 s
 * of CPU, paid in every fresh clone's test run. `npm start` and `npm run build` still check.
 */
export async function ensureBuilt (): Promise<void> {
  if (process.env.FAULTS_SERVER_JS !== undefined) return
  const stale = (): boolean => !existsSync(SERVER_JS) ||
    statSync(SERVER_JS).mtimeMs < Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'packages', 'client', 'src')))
  if (!stale()) return
  const lock = join(tmpdir(), 'relay-faults-build.lock')
  const end = Date.now() + 120_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // Another file is compiling (or a stale lock from a killed run: take it after 2 min).
      if (Date.now() > end) break
      await delay(250)
    }
  }
  try {
    if (!stale()) return
    // The SDK package first: the server imports its protocol module from its dist.
    for (const project of [join('packages', 'client', 'tsconfig.json'), 'tsconfig.build.json']) {
      const out = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--noCheck'], { cwd: ROOT, encoding: 'utf8' })
      if (out.status !== 0) throw new Error(`tsc failed: ${out.stdout}${out.stderr}`)
    }
  } finally {
    try { rmdirSync(lock) } catch {}
  }
}

// ------------------------------------------------------------------ the server as a child

export interface ServerProc {
  port: number
  url: string
  proc: ChildProcess
  /** Settles when the process has exited. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>
  alive: () => boolean
  /** The last output lines (for failure messages). */
  log: () => string
}

export interface StartOptions {
  port?: number
  /** Wait for /readyz 200 (default) or only /healthz 200. */
  waitReady?: boolean
  timeoutMs?: number
  /** Another checkout to run (default: this one) and what node runs there (default: dist/src/server.js). */
  cwd?: string
  args?: string[]
  /** Start on an empty embedded store (initdb and every migration), not a copy of the migrated one. */
  freshStore?: boolean
}

/**
 * Starts dist/src/server.js (or `opts.args` in `opts.cwd`) with a minimal environment (nothing inherited but PATH/HOME, so
 * a DATABASE_URL of the shell cannot leak in) and waits until it answers.
 */
export async function startServer (t: Test, env: Record<string, string>, opts: StartOptions = {}): Promise<ServerProc> {
  // A first start listens on a port the kernel gives the server itself (PORT=0), read back
  // from /proc: a port found free here and handed over could be taken before the server
  // bound it, and the readiness probe then got its answer from another test's server
  // (stop 37). A restart asks for its port again (clients reconnect to the same URL).
  const discover = opts.port === undefined && existsSync('/proc/self/net/tcp')
  const port = opts.port ?? (discover ? 0 : await freePort())
  const fullEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'production',
    JWT_SECRET,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SCRYPT_LOG_N: '10',
    AUTH_RATE_LIMIT_MAX: '100000',
    SOCKET_EVENTS_PER_S: '10000',
    // These servers live seconds and do little: V8's optimising tier for PostgreSQL's code
    // would not pay for itself (1.5-2 s of CPU at each start; 141 -> 125 s of machine CPU for
    // the nine files of faults and scripts that start servers). A test's env can turn it back.
    PGLITE_LIFTOFF_ONLY: 'true',
    ...(REDIS_ADAPTER !== undefined ? { REDIS_ADAPTER } : {}),
    ...env
  }
  if (fullEnv.DATA_DIR === undefined) fullEnv.DATA_DIR = tempDir(t)
  // A new embedded store starts as a copy of the migrated one (test/prepared-databases.ts):
  // what these tests start is a server on its store, and initdb with the migration chain was
  // 5.5 s of CPU more per start. Not for another checkout (its migrations may differ) or a
  // test of the first start itself (`freshStore`).
  const store = join(fullEnv.DATA_DIR, 'pglite')
  if (fullEnv.DATABASE_URL === undefined && fullEnv.PGLITE_DIR === undefined && opts.cwd === undefined && opts.args === undefined && opts.freshStore !== true && !existsSync(store)) {
    await copyPreparedPgliteDir(store)
  }
  const proc = spawn(process.execPath, opts.args ?? [SERVER_JS], { cwd: opts.cwd ?? ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    if (lines.length > 200) lines.splice(0, lines.length - 200)
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  let running = true
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>((resolve) => {
    proc.once('exit', (code, signal) => { running = false; resolve({ code, signal, at: Date.now() }) })
  })
  const srv: ServerProc = { port, url: `http://127.0.0.1:${port}`, proc, exited, alive: () => running, log: () => lines.slice(-40).join('\n') }
  t.teardown(async () => {
    // A failed test shows what the server said.
    if (!t.passing()) t.comment(`server :${srv.port} (${running ? 'running' : 'exited'}) last output:\n${lines.slice(-30).join('\n')}`)
    if (running) {
      proc.kill('SIGKILL')
      await exited
    }
  })
  const path = opts.waitReady === false ? '/healthz' : '/readyz'
  const end = Date.now() + (opts.timeoutMs ?? 60_000)
  for (;;) {
    if (!running) throw new Error(`server exited while starting:\n${srv.log()}`)
    const bound = srv.port === 0 && proc.pid !== undefined ? listeningPort(proc.pid) : undefined
    if (bound !== undefined) Object.assign(srv, { port: bound, url: `http://127.0.0.1:${bound}` })
    if (srv.port !== 0 && (await probe(srv.url + path)) === 200) return srv
    if (Date.now() > end) throw new Error(`server not ${srv.port === 0 ? 'listening' : `answering ${path}`} within ${opts.timeoutMs ?? 60_000} ms:\n${srv.log()}`)
    await delay(100)
  }
}

/**
 * The TCP port process `pid` listens on (Linux: its socket inodes in /proc/<pid>/fd, matched
 * with the LISTEN rows of /proc/<pid>/net/tcp and tcp6), or undefined while it listens on none.
 */
export function listeningPort (pid: number): number | undefined {
  let inodes: Set<string>
  try {
    inodes = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try { return readlinkSync(`/proc/${pid}/fd/${fd}`) } catch { return '' }
    }).filter((link) => link.startsWith('socket:[')).map((link) => link.slice('socket:['.length, -1)))
  } catch {
    return undefined
  }
  const ports = new Set<number>()
  for (const table of ['tcp', 'tcp6']) {
    let text = ''
    try { text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8') } catch { continue }
    for (const row of text.split('\n').slice(1)) {
      // sl local_address rem_address st … inode: state 0A is LISTEN
      const f = row.trim().split(/\s+/)
      if (f[3] === '0A' && f[9] !== undefined && inodes.has(f[9])) ports.add(parseInt(f[1]!.split(':')[1]!, 16))
    }
  }
  if (ports.size > 1) throw new Error(`process ${pid} listens on several ports: ${[...ports].join(', ')}`)
  return ports.values().next().value
}

/** HTTP status of a GET, or 0 when the connection fails (refused, reset, 2 s without answer). */
export async function probe (url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
    await res.arrayBuffer()
    return res.status
  } catch {
    return 0
  }
}

// ------------------------------------------------------------------ REST setup through the server

export interface User { id: string, username: string, accessToken: string, refreshToken: string }

export async function api<T = any> (url: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number, body: T }> {
  const headers: Record<string, string> = {}
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(20_000) })
  const text = await res.text()
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T }
}

export async function register (url: string): Promise<User> {
  const username = `f${randomUUID().replaceAll('-', '').slice(0, 20)}`
  const res = await api(url, 'POST', '/api/auth/register', undefined, { username, password: 'correct horse battery' })
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`)
  return { id: res.body.user.id, username, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken }
}

export async function users (url: string, n: number): Promise<User[]> {
  const out: User[] = []
  for (let i = 0; i < n; i++) out.push(await register(url))
  return out
}

/** A group of owner + members; returns its id. (Groups need no friendship.) */
export async function group (url: string, owner: User, members: User[]): Promise<string> {
  const res = await api(url, 'POST', '/api/groups', owner.accessToken, { name: 'faults', memberIds: members.map((m) => m.id) })
  if (res.status !== 201) throw new Error(`group: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.id
}

/** Every message of a conversation through REST history, oldest first. */
export async function history (url: string, user: User, conversationId: string): Promise<Message[]> {
  const out: Message[] = []
  let after = 0
  for (;;) {
    const res = await api<{ messages: Message[], hasMore: boolean }>(url, 'GET', `/api/conversations/${conversationId}/messages?after=${after}&limit=100`, user.accessToken)
    if (res.status !== 200) throw new Error(`history: ${res.status} ${JSON.stringify(res.body)}`)
    out.push(...res.body.messages)
    if (!res.body.hasMore || res.body.messages.length === 0) return out
    after = res.body.messages[res.body.messages.length - 1]!.seq
  }
}

// ------------------------------------------------------------------ SDK clients

export interface Watched {
  client: Client
  /** message:new as the SDK emitted them (live and caught up). */
  received: Message[]
  disconnects: Array<{ reason: string, reconnecting: boolean, at: number }>
  statuses: string[]
}

/** An SDK client for `user` with quick reconnects; closed in teardown. */
export function sdk (t: Test, url: string, user: User, opts: Partial<ClientOptions> = {}): Watched {
  const client = createClient({
    url,
    token: user.accessToken,
    refreshToken: user.refreshToken,
    reconnect: { baseMs: 100, maxMs: 1000 },
    ackTimeoutMs: 5000,
    sendTimeoutMs: 90_000,
    transports: ['websocket'],
    ...opts
  })
  const w: Watched = { client, received: [], disconnects: [], statuses: [] }
  client.on('message:new', (m) => { w.received.push(m) })
  client.on('disconnect', (d) => { w.disconnects.push({ ...d, at: Date.now() }) })
  client.on('status', (s) => { w.statuses.push(s) })
  client.on('error', () => {})
  t.teardown(() => { client.close() })
  return w
}

export interface Sent {
  clientMsgId: string
  conversationId: string
  senderId: string
  /** Set when send() resolved. */
  ack?: { id: string, seq: number, conversationId: string, createdAt: string }
  error?: string
  ackedAt?: number
  done: Promise<void>
}

/** Pushes a message into the client's outbox and records its outcome. */
export function sendTracked (w: Watched, senderId: string, conversationId: string, content: string): Sent {
  const clientMsgId = randomUUID()
  const s: Sent = { clientMsgId, conversationId, senderId, done: Promise.resolve() }
  s.done = w.client.send({ conversationId, clientMsgId, type: 'text', content }).then(
    (ack) => { s.ack = ack; s.ackedAt = Date.now() },
    (err: unknown) => { s.error = err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err) }
  )
  return s
}

// ------------------------------------------------------------------ database checks (PostgreSQL)

export interface Row { id: string, conversation_id: string, seq: number, sender_id: string, client_msg_id: string }

export async function dbRows (databaseUrl: string, conversationIds: string[]): Promise<{ rows: Row[], lastSeq: Map<string, number> }> {
  const c = new pg.Client({ connectionString: databaseUrl })
  await c.connect()
  try {
    const rows = (await c.query<Row>('SELECT id::text, conversation_id::text, seq, sender_id::text, client_msg_id FROM messages WHERE conversation_id = ANY($1::uuid[]) ORDER BY conversation_id, seq', [conversationIds])).rows
    const conv = (await c.query<{ id: string, last_seq: number }>('SELECT id::text, last_seq FROM conversations WHERE id = ANY($1::uuid[])', [conversationIds])).rows
    return { rows: rows.map((r) => ({ ...r, seq: Number(r.seq) })), lastSeq: new Map(conv.map((r) => [r.id, Number(r.last_seq)])) }
  } finally {
    await c.end()
  }
}

/** Seqs of one conversation are exactly 1..n (n = the count), and last_seq says n. */
export function checkGapFree (t: Test, conversationId: string, seqs: number[], lastSeq: number | undefined): void {
  const sorted = [...seqs].sort((a, b) => a - b)
  const expected = Array.from({ length: sorted.length }, (_, i) => i + 1)
  t.same(sorted, expected, `conversation ${conversationId.slice(0, 8)}: seqs are 1..${sorted.length} without gaps or repeats`)
  if (lastSeq !== undefined) t.equal(lastSeq, sorted.length, `conversation ${conversationId.slice(0, 8)}: last_seq matches the stored messages (no half-written send)`)
}

/**
 * Every acknowledged message is stored exactly once, under the seq and id its ack named;
 * nothing is stored that was never sent.
 */
export function checkExactlyOnce (t: Test, sent: Sent[], rows: Array<Pick<Row, 'id' | 'conversation_id' | 'seq' | 'sender_id' | 'client_msg_id'>>): void {
  const byKey = new Map<string, typeof rows>()
  for (const r of rows) {
    const key = `${r.sender_id}/${r.client_msg_id}`
    byKey.set(key, [...(byKey.get(key) ?? []), r])
  }
  const dup = [...byKey.entries()].filter(([, rs]) => rs.length > 1)
  t.same(dup.map(([k]) => k), [], 'no (sender, clientMsgId) is stored twice')
  const sentKeys = new Set(sent.map((s) => `${s.senderId}/${s.clientMsgId}`))
  t.same([...byKey.keys()].filter((k) => !sentKeys.has(k)), [], 'nothing is stored that was not sent')
  const acked = sent.filter((s) => s.ack !== undefined)
  const missing = acked.filter((s) => byKey.get(`${s.senderId}/${s.clientMsgId}`) === undefined)
  t.same(missing.map((s) => s.clientMsgId), [], `every acknowledged message (${acked.length}) is stored`)
  const wrong = acked.filter((s) => {
    const r = byKey.get(`${s.senderId}/${s.clientMsgId}`)?.[0]
    return r !== undefined && (r.id !== s.ack!.id || r.seq !== s.ack!.seq || r.conversation_id !== s.ack!.conversationId)
  })
  t.same(wrong.map((s) => s.clientMsgId), [], 'each ack names the stored id and seq')
}

// ------------------------------------------------------------------ TCP balancer with failover

export interface Balancer { port: number, url: string, connections: Map<number, number> }

/**
 * A TCP load balancer as a client would see one: each new connection goes to the first
 * backend of `ports` that accepts it (a preference order with failover); when a backend
 * dies its connections are cut, and the client's reconnect lands on the next one.
 */
export async function balancer (t: Test, ports: number[]): Promise<Balancer> {
  const open = new Set<net.Socket>()
  const connections = new Map<number, number>()
  const server = net.createServer((downstream) => {
    open.add(downstream)
    downstream.pause()
    downstream.on('error', () => {})
    downstream.once('close', () => { open.delete(downstream) })
    const tryNext = (i: number): void => {
      if (i >= ports.length || downstream.destroyed) { downstream.destroy(); return }
      const port = ports[i]!
      const upstream = net.connect(port, '127.0.0.1')
      open.add(upstream)
      let connected = false
      upstream.once('connect', () => {
        connected = true
        connections.set(port, (connections.get(port) ?? 0) + 1)
        downstream.pipe(upstream)
        upstream.pipe(downstream)
        downstream.resume()
      })
      upstream.on('error', () => { if (!connected) tryNext(i + 1) })
      upstream.once('close', () => { open.delete(upstream); if (connected) downstream.destroy() })
      downstream.once('close', () => { upstream.destroy() })
    }
    tryNext(0)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as net.AddressInfo
  t.teardown(async () => {
    for (const s of open) s.destroy()
    await new Promise<void>((resolve) => server.close(() => { resolve() }))
  })
  return { port: address.port, url: `http://127.0.0.1:${address.port}`, connections }
}

// ------------------------------------------------------------------ private Redis

export interface PrivateRedis {
  port: number
  url: string
  /** kill -9 and wait for the exit. */
  kill: () => Promise<void>
  /** Starts it again on the same port (empty: no persistence). */
  start: () => Promise<void>
}

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p))

/** A redis-server of this test only, on a free port, in a temp dir, without persistence. */
export async function privateRedis (t: Test): Promise<PrivateRedis> {
  if (REDIS_SERVER === undefined) throw new Error('no redis-server binary')
  const server = REDIS_SERVER
  const port = await freePort()
  const dir = tempDir(t, 'relay-fault-redis-')
  let proc: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  const start = async (): Promise<void> => {
    const p = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir], { stdio: 'ignore' })
    proc = p
    exited = new Promise((resolve) => { p.once('exit', () => { resolve() }) })
    await until(async () => await redisPing(port), 20_000, `redis on ${port} to answer`, 50)
  }
  const kill = async (): Promise<void> => {
    proc?.kill('SIGKILL')
    await exited
    proc = undefined
  }
  t.teardown(kill)
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, kill, start }
}

async function redisPing (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    const done = (ok: boolean): void => { s.destroy(); resolve(ok) }
    s.setTimeout(1000, () => { done(false) })
    s.once('error', () => { done(false) })
    s.once('connect', () => { s.write('PING\r\n') })
    s.once('data', (d) => { done(d.toString().startsWith('+PONG')) })
  })
}

// ------------------------------------------------------------------ private PostgreSQL

export interface PrivatePostgres {
  port: number
  url: string
  /** pg_ctl stop -m immediate (like a crash: no checkpoint, connections cut). */
  stop: () => Promise<void>
  start: () => Promise<void>
}

export const PG_BIN = (() => {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return undefined
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin')
})()

/**
 * A PostgreSQL cluster of this test only (initdb takes about a second here). We run as
 * root, so the cluster belongs to the `postgres` user and is driven through runuser.
 */
export async function privatePostgres (t: Test): Promise<PrivatePostgres> {
  if (PG_BIN === undefined) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql')
  const port = await freePort()
  const dir = tempDir(t, 'relay-fault-pg-')
  const data = join(dir, 'data')
  const sock = join(dir, 'sock')
  mkdirSync(sock)
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const pwd = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    const uid = Number(pwd.stdout.trim())
    chownSync(dir, uid, Number(gid.stdout.trim()))
    chownSync(sock, uid, Number(gid.stdout.trim()))
  }
  const run = async (bin: string, args: string[]): Promise<void> => {
    const cmd = asRoot ? 'runuser' : join(PG_BIN, bin)
    const full = asRoot ? ['-u', 'postgres', '--', join(PG_BIN, bin), ...args] : args
    await new Promise<void>((resolve, reject) => {
      const p = spawn(cmd, full, { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      p.stdout?.on('data', (d: Buffer) => { out += d.toString() })
      p.stderr?.on('data', (d: Buffer) => { out += d.toString() })
      p.once('error', reject)
      p.once('exit', (code) => {
        if (code === 0) resolve()
        else reject(new Error(`${bin} ${args.join(' ')} exited ${String(code)}: ${out}`))
      })
    })
  }
  await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const opts = `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`
  let running = false
  const start = async (): Promise<void> => {
    await run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'])
    running = true
  }
  const stop = async (): Promise<void> => {
    await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop'])
    running = false
  }
  t.teardown(async () => { if (running) await stop().catch(() => {}) })
  await start()
  return { port, url: `postgresql://postgres@127.0.0.1:${port}/postgres`, stop, start }
}

/** A fresh database on the real PostgreSQL (services mode), dropped in teardown. */
export async function scratchDatabase (t: Test): Promise<string> {
  const admin = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
  const name = `relay_fault_${randomUUID().replaceAll('-', '')}`
  const run = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: admin })
    await c.connect()
    try { await c.query(sql) } finally { await c.end() }
  }
  await run(`CREATE DATABASE ${name}`)
  t.teardown(async () => { await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) })
  const url = new URL(admin)
  url.pathname = `/${name}`
  return url.toString()
}
