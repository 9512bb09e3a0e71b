import fp from 'fastify-plugin'
import PgBoss from 'pg-boss'

/**
 * The durable job queue for outbound work (Web Push, webhooks): pg-boss 10 on the database
 * the server already uses, through the same driver (a pg Pool on PostgreSQL, the one PGlite
 * connection embedded), in its own schema `pgboss`. Jobs are claimed with SKIP LOCKED, so
 * several nodes never work one job at once; a job whose worker died (SIGKILL) is retried
 * once its `expireInSeconds` has passed.
 *
 * "A job exists iff its message committed" is kept by relays: a feature writes its outbox
 * rows in the very statement that commits the message, and a relay moves committed rows
 * into pg-boss's job table in one statement (DELETE … RETURNING feeding INSERT), so nothing
 * is enqueued before the commit and nothing committed is lost. Relays run on worker nodes
 * every RELAY_INTERVAL_MS (and again at once while they find rows); workers are woken as
 * soon as a relay moved jobs for them.
 */

export const JOBS_SCHEMA = 'pgboss'
const RELAY_INTERVAL_MS = 200

/** Moves committed outbox rows into the queue; returns how many jobs it created. */
export type Relay = () => Promise<number>

export interface QueueSpec {
  /** pg-boss's queue policy (default 'standard'); 'short' keeps at most one queued job per singletonKey. */
  policy?: 'standard' | 'short'
  retryLimit: number
  /** Seconds before the first retry; with retryBackoff it doubles each time (with jitter). */
  retryDelay: number
  retryBackoff: boolean
  /** A job active this long is taken as lost (its worker died) and retried. */
  expireInSeconds: number
}

export interface Jobs {
  boss: PgBoss
  /** Whether this node works jobs (JOBS_WORKER). */
  worker: boolean
  /** Creates the queue if missing and writes its spec (idempotent). */
  queue: (name: string, spec: QueueSpec) => Promise<void>
  /** Works a queue on this node (no-op when JOBS_WORKER=false); `batchSize` jobs per call. */
  work: <T extends object>(name: string, opts: { batchSize: number, pollingIntervalSeconds?: number }, handler: (jobs: Array<PgBoss.Job<T>>) => Promise<void>) => Promise<void>
  /** Runs `relay` on worker nodes; `wakes` names the queues whose workers to wake after it moved jobs. */
  relay: (relay: Relay, wakes: string[]) => void
  /** Runs every relay now and waits for it (tests, and after a burst). */
  flush: () => Promise<number>
  /** Stops relays and workers, letting jobs in hand finish (idempotent; also run on close). */
  stop: () => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance { jobs: Jobs }
}

/** Whether the queue's stored settings are those of the spec (pg-boss's updateQueue writes these). */
const sameSpec = (q: PgBoss.QueueResult, spec: QueueSpec & { policy: string }): boolean =>
  q.policy === spec.policy && q.retryLimit === spec.retryLimit && q.retryDelay === spec.retryDelay &&
  q.retryBackoff === spec.retryBackoff && q.expireInSeconds === spec.expireInSeconds

/** An error of two nodes installing the same thing at once: unique violation, deadlock, "already exists". */
const lostRace = (err: unknown): boolean => {
  const code = (err as { code?: string }).code
  return code === '23505' || code === '40P01' || /already exists/.test(String((err as Error).message))
}

export default fp(async (app) => {
  const { config } = app
  // pg-boss records a job's completion or failure without awaiting it (its worker's onFetch),
  // and a fetch in flight at stop() can still hand a job to its handler afterwards (which
  // refuses it: see `run`, and pg-boss records that failure). So its queries are counted, and
  // stop() waits until none is left, a macrotask apart, before the database plugin closes
  // the pool they use.
  const pending = new Set<Promise<unknown>>()
  const executor = {
    executeSql: (text: string, values?: unknown[]) => {
      const p = app.jobsDb.executeSql(text, values)
      pending.add(p)
      const settle = (): void => { pending.delete(p) }
      p.then(settle, settle)
      return p
    }
  }
  const options: PgBoss.ConstructorOptions = {
    db: executor as PgBoss.Db,
    schema: JOBS_SCHEMA,
    // No cron schedules; maintenance (expiry of lost jobs, archiving) on every node, pg-boss
    // itself makes sure one runs at a time.
    schedule: false,
    supervise: true,
    migrate: true,
    // Lost jobs (expired while active) are found by maintenance: run it often enough.
    maintenanceIntervalSeconds: Math.max(2, Math.min(30, Math.ceil(config.JOBS_EXPIRE_S / 2))),
    archiveCompletedAfterSeconds: 3600,
    deleteAfterDays: 7
  }
  // Nodes starting together on a new database both install pg-boss's schema. pg-boss
  // serialises that with an advisory lock and treats an "already exists" error as the race
  // lost, but PostgreSQL can report the second CREATE SCHEMA as a unique violation on
  // pg_namespace instead, and pg-boss rethrows that. By then the other node has installed it:
  // a fresh instance that starts again finds it there.
  const startBoss = async (attempt = 1): Promise<PgBoss> => {
    const b = new PgBoss(options)
    b.on('error', (err: Error) => { app.log.warn({ err }, 'job queue error') })
    try {
      await b.start()
      return b
    } catch (err) {
      if (!lostRace(err) || attempt >= 3) throw err
      app.log.warn({ err: (err as Error).message, attempt }, 'job queue: another node was installing its schema; starting again')
      await b.stop({ graceful: false, wait: false }).catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt))
      return await startBoss(attempt + 1)
    }
  }
  const boss = await startBoss()

  const worker = config.JOBS_WORKER
  const workerIds = new Map<string, string[]>()
  const relays: Array<{ relay: Relay, wakes: string[] }> = []
  let stopping = false
  let running: Promise<number> | undefined

  const runRelays = async (): Promise<number> => {
    let total = 0
    for (const r of relays) {
      for (;;) {
        const moved = await r.relay()
        total += moved
        if (moved > 0) for (const q of r.wakes) for (const id of workerIds.get(q) ?? []) boss.notifyWorker(id)
        if (moved < 100 || stopping) break
      }
    }
    return total
  }
  const flush = async (): Promise<number> => {
    // One pass at a time per node: a flush during a timed pass waits for it, then runs its own.
    if (stopping) return 0
    while (running !== undefined) await running.catch(() => 0)
    running = runRelays()
    try {
      return await running
    } finally {
      running = undefined
    }
  }

  let timer: NodeJS.Timeout | undefined
  const tick = (): void => {
    timer = undefined
    if (stopping) return
    flush()
      .catch((err: unknown) => { if (!stopping) app.log.warn({ err }, 'outbox relay failed') })
      .finally(() => { if (!stopping) timer = setTimeout(tick, RELAY_INTERVAL_MS).unref() })
  }

  let stopped: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true
      if (timer !== undefined) clearTimeout(timer)
      await running?.catch(() => 0)
      // Half the shutdown budget: jobs still running then are failed, to be retried (by another node, or this one after its restart).
      await boss.stop({ graceful: true, wait: true, timeout: Math.max(1000, Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2)) })
      do {
        await Promise.allSettled([...pending])
        await new Promise((resolve) => setImmediate(resolve))
      } while (pending.size > 0)
    })()
    await stopped
  }

  app.decorate('jobs', {
    boss,
    worker,
    queue: async (name, spec) => {
      const options = { name, ...spec, policy: spec.policy ?? 'standard' }
      // Read first: a queue already as the config says is left alone. Creating it again and
      // updating it were two writes per queue at every start of every node.
      const current = await boss.getQueue(name)
      if (current !== null && sameSpec(current, options)) return
      // Nodes starting together create the same queue at once: pg-boss's create_queue can
      // then deadlock or hit the other's row; one more try finds the queue there.
      for (let attempt = 1; current === null; attempt++) {
        try {
          await boss.createQueue(name, options)
          break
        } catch (err) {
          if (!lostRace(err) || attempt >= 5) throw err
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100))
        }
      }
      await boss.updateQueue(name, options)
    },
    work: async (name, opts, handler) => {
      if (!worker) return
      let id = ''
      // pg-boss waits a polling interval after every batch; a full batch means more are
      // waiting, so the worker is woken to fetch again at once (a backlog drains at full speed).
      const run = async (batch: Array<PgBoss.Job<object>>): Promise<void> => {
        if (stopping) throw new Error('the job queue is stopping: left for a retry')
        await handler(batch as never)
        if (batch.length >= opts.batchSize && id !== '') boss.notifyWorker(id)
      }
      id = await boss.work(name, { batchSize: opts.batchSize, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 0.5 }, run)
      workerIds.set(name, [...(workerIds.get(name) ?? []), id])
    },
    relay: (relay, wakes) => {
      relays.push({ relay, wakes })
      if (worker && timer === undefined) timer = setTimeout(tick, 0).unref()
    },
    flush,
    stop
  } satisfies Jobs)

  // onClose hooks run in reverse order of registration, so this runs before db's: jobs in
  // hand finish (or are left active, to be retried after their expiry) before it closes.
  app.addHook('onClose', stop)
}, { name: 'jobs', dependencies: ['config', 'db'] })
