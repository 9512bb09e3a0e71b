import fp from 'fastify-plugin'
import { createScheduledService, type ScheduledService } from './service.js'
import { createScheduledSender, SEND_ATTEMPTS } from './sender.js'
import { RELAY_SQL, SCHEDULED_QUEUE, STRANDED_SQL } from './sql.js'
import { toScheduled, type ScheduledRow } from './view.js'

/** Relay passes between two sweeps for stranded rows (a pass is about every 200 ms when idle). */
const STRANDED_EVERY = 25
/** A row touched this recently is being worked on: the sweep leaves it. */
export const STRANDED_GRACE_S = 30

declare module 'fastify' {
  interface FastifyInstance { scheduled: ScheduledService }
}

/**
 * Scheduled messages on the job queue (src/plugins/jobs.ts): the service, the relay that
 * queues rows whose time came (on worker nodes, every relay pass), and the worker that sends
 * them. A worker killed mid-send leaves its job active; pg-boss retries it after
 * JOBS_EXPIRE_S, and the retry finds the message already stored by its clientMsgId. When
 * pg-boss gives up on a job (its retries ran out first), the relay's sweep makes the row's
 * outcome final: no scheduled message stays `sending` for ever.
 */
export default fp(async (app) => {
  const { config, jobs } = app
  const deps = app.conversationsDeps
  const service = createScheduledService({ ...deps, minAheadS: config.SCHEDULED_MIN_AHEAD_S })
  app.decorate('scheduled', service)

  const sender = createScheduledSender({ sql: app.sql, prisma: app.prisma, messages: app.messages, tell: service.tell, log: app.log })
  await jobs.queue(SCHEDULED_QUEUE, { retryLimit: SEND_ATTEMPTS * 2, retryDelay: 1, retryBackoff: true, expireInSeconds: config.JOBS_EXPIRE_S })
  // The relay wakes the worker as soon as it queued something, so the worker's own poll (a
  // fetch on the shared connection, which PGlite runs one at a time) can be slow.
  await jobs.work<{ id: string }>(SCHEDULED_QUEUE, { batchSize: 20, pollingIntervalSeconds: 5 }, async (batch) => {
    await Promise.all(batch.map(async (job) => { await sender.sendDue(job.data.id) }))
  })
  let passes = 0
  jobs.relay(async () => {
    // Now and then (every STRANDED_EVERY passes), rows pg-boss gave up on get their final outcome.
    if (++passes % STRANDED_EVERY === 0) {
      for (const row of await app.sql.query<ScheduledRow>(STRANDED_SQL, [STRANDED_GRACE_S], 'scheduled_stranded')) {
        app.log.warn({ scheduledId: row.id, status: row.status }, 'scheduled message had no job left: outcome made final')
        service.tell(row.sender_id, toScheduled(row))
      }
    }
    return (await app.sql.query<{ id: string }>(RELAY_SQL, [], 'scheduled_relay')).length
  }, [SCHEDULED_QUEUE])
}, { name: 'scheduled', dependencies: ['config', 'db', 'jobs', 'messages'] })
