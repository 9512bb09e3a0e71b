import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Args } from './args.js'
import { createDatabase, type BenchDb } from './database.js'
import { signAccessToken } from './ids.js'
import { log } from './log.js'
import { PrivateRedis } from './redis-server.js'
import { ensureBuild, freePort, serverEnv, start, stop, type Running } from './server.js'
import { WorkerPool } from './workers.js'

/** Long enough for any run; the server cuts sockets at token expiry. */
const TOKEN_TTL_S = 6 * 3600

/** Everything one run owns: its database, server (or relay), workers and log directory. */
export class Context {
  /** Contexts not closed yet: closed on SIGINT/SIGTERM (bench/run.ts) so no server or database outlives the harness. */
  static readonly open = new Set<{ close: () => Promise<void> }>()
  server: Running | undefined
  /** --nodes N: every server process (server is the first); a single server otherwise. */
  servers: Running[] = []
  redis: PrivateRedis | undefined
  workers: WorkerPool | undefined
  private readonly env: Record<string, string>
  private port = 0

  readonly args: Args
  readonly dir: string
  readonly db: BenchDb
  readonly secret: string
  private constructor (args: Args, dir: string, db: BenchDb, secret: string) {
    this.args = args
    this.dir = dir
    this.db = db
    this.secret = secret
    this.env = serverEnv({ JWT_SECRET: secret, DATA_DIR: join(dir, 'data'), ...db.serverEnv, ...args.env })
  }

  /** Builds if needed, creates and seeds a fresh database. The server is not started yet. */
  static async create (args: Args, seed: (db: BenchDb) => Promise<void>): Promise<Context> {
    ensureBuild(!args.build)
    const runId = `${Date.now().toString(36)}_${process.pid}`
    const dir = mkdtempSync(join(tmpdir(), `bench-${args.scenario}-`))
    log(`run ${runId}: ${args.db} database, logs in ${dir}`)
    const db = await createDatabase(args.db, runId)
    // Until the context owns it: dropped on a signal during seeding, or when seeding fails.
    const seeding = { close: async () => { await db.drop() } }
    Context.open.add(seeding)
    try {
      const t = performance.now()
      await seed(db)
      for (const statement of args.sql) {
        log(`--sql ${statement}`)
        await db.query(statement)
      }
      log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`)
      // PGlite is single-process: the server opens the directory once the harness let go.
      if (db.kind === 'pglite') await db.release()
    } catch (err) {
      if (!args.keepDb) await db.drop().catch(() => {})
      throw err
    } finally {
      Context.open.delete(seeding)
    }
    const ctx = new Context(args, dir, db, randomBytes(36).toString('base64url'))
    Context.open.add(ctx)
    return ctx
  }

  token (userId: string): string { return signAccessToken(this.secret, userId, TOKEN_TTL_S) }

  /**
   * --nodes N: a private redis-server and N servers on it and on the one database, started one
   * after another (the first migrates). Each node's log is server-<i>.log.
   */
  async startNodes (n: number): Promise<Running[]> {
    this.redis ??= await PrivateRedis.start(join(this.dir, 'redis.log'), this.args.nice)
    log(`redis-server pid ${this.redis.pid} on ${this.redis.url}`)
    const env = { ...this.env, REDIS_URL: this.redis.url }
    this.servers = []
    for (let i = 0; i < n; i++) {
      const nodeArgs = this.args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(this.dir, `node-${i}`)}`] : []
      const s = await start('server', await freePort(), env, join(this.dir, `server-${i}.log`), nodeArgs, this.args.nice)
      log(`node ${i} pid ${s.pid} ready on ${s.url} in ${s.readyMs.toFixed(0)} ms (REDIS_ADAPTER=${this.args.env.REDIS_ADAPTER ?? 'default'})`)
      this.servers.push(s)
    }
    this.server = this.servers[0]
    return this.servers
  }

  async startServer (): Promise<Running> {
    if (this.port === 0) this.port = await freePort()
    const nodeArgs = this.args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${this.dir}`] : []
    this.server = await start('server', this.port, this.env, join(this.dir, 'server.log'), nodeArgs, this.args.nice)
    log(`server pid ${this.server.pid} ready on ${this.server.url} in ${this.server.readyMs.toFixed(0)} ms`)
    return this.server
  }

  async startRelay (): Promise<Running> {
    this.server = await start('relay', await freePort(), { HOST: '127.0.0.1' }, join(this.dir, 'relay.log'), [], this.args.nice)
    log(`relay pid ${this.server.pid} ready on ${this.server.url}`)
    return this.server
  }

  /** The generator's ceiling: bench/echo.ts, the least a Socket.IO server can do for the load. */
  async startEcho (): Promise<Running> {
    this.server = await start('echo', await freePort(), { HOST: '127.0.0.1' }, join(this.dir, 'echo.log'), [], this.args.nice)
    log(`echo pid ${this.server.pid} ready on ${this.server.url}`)
    return this.server
  }

  async stopServer (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.servers.length > 0) await Promise.all(this.servers.map(async (s) => { await stop(s, signal) }))
    else if (this.server !== undefined) await stop(this.server, signal)
  }

  startWorkers (): WorkerPool {
    this.workers ??= WorkerPool.start(this.args.workers, this.args.nice)
    return this.workers
  }

  private closing: Promise<void> | undefined
  /** Once: a signal (bench/run.ts) and the scenario's own `finally` may both call it. */
  async close (): Promise<void> {
    this.closing ??= this.closeOnce()
    await this.closing
  }

  private async closeOnce (): Promise<void> {
    Context.open.delete(this)
    await this.workers?.close().catch(() => {})
    this.workers = undefined
    await this.stopServer().catch(() => {})
    await this.redis?.stop().catch(() => {})
    if (this.args.cpuProf) log(`CPU profile(s) in ${this.dir}`)
    if (this.args.keepDb) log(`database kept: ${JSON.stringify(this.db.serverEnv)}`)
    else await this.db.drop().catch((err: unknown) => { log(`could not drop the database: ${String(err)}`) })
  }
}

export const loadAverage = (): number[] => loadavg().map((v) => Math.round(v * 100) / 100)
