import fp from 'fastify-plugin'
import { TASKS, type TaskName } from './tasks.js'

/**
 * Housekeeping on the durable job queue: each task (tasks.ts) is a job on the queue
 * `housekeeping`, sent by every node at the task's interval with a singleton key per
 * interval, so one run happens per interval whichever nodes are up, on whichever worker node
 * takes it; a run lost with its node is retried like any job.
 */
export const HOUSEKEEPING_QUEUE = 'housekeeping'

export interface Housekeeping {
  /** Runs a task now on this node (tests, operators); returns how many things it removed. */
  run: (task: TaskName) => Promise<number>
  /** Queues a run of the task (at most one per task and interval). */
  enqueue: (task: TaskName) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance { housekeeping: Housekeeping }
}

export default fp(async (app) => {
  const { config, jobs } = app
  const ctx = { sql: app.sql, config, dbKind: app.dbKind }
  const active = TASKS.filter((task) => task.applies?.(ctx) ?? true)
  const byName = new Map(active.map((task) => [task.name, task]))

  const run = async (name: TaskName): Promise<number> => {
    const task = byName.get(name)
    if (task === undefined) return 0
    const started = Date.now()
    const removed = await task.run(ctx)
    app.log.info({ task: name, removed, ms: Date.now() - started }, 'housekeeping')
    return removed
  }
  const enqueue = async (name: TaskName): Promise<void> => {
    const task = byName.get(name)
    if (task === undefined) return
    const every = Math.max(1, task.interval(config))
    await jobs.boss.send(HOUSEKEEPING_QUEUE, { task: name }, { singletonKey: name, singletonSeconds: every, retryLimit: 2, retryDelay: 60, expireInSeconds: 3600 })
  }

  await jobs.queue(HOUSEKEEPING_QUEUE, { retryLimit: 2, retryDelay: 60, retryBackoff: true, expireInSeconds: 3600 })
  await jobs.work<{ task: TaskName }>(HOUSEKEEPING_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async (batch) => {
    for (const job of batch) await run(job.data.task)
  })

  const timers: NodeJS.Timeout[] = []
  for (const task of active) {
    const every = task.interval(config)
    if (every <= 0) continue
    const tick = (): void => {
      enqueue(task.name).catch((err: unknown) => { app.log.warn({ err, task: task.name }, 'housekeeping: could not queue a run') })
    }
    timers.push(setInterval(tick, every * 1000).unref())
  }
  app.addHook('preClose', async () => { for (const t of timers) clearInterval(t) })

  app.decorate('housekeeping', { run, enqueue })
}, { name: 'housekeeping', dependencies: ['db', 'jobs'] })
