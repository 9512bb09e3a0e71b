import fp from 'fastify-plugin'
import { createScheduledService, type ScheduledService } from './service.js'
import { createScheduledSender, SEND_ATTEMPTS } from './sender.js'
import { RELAY_SQL, SCHEDULED_QUEUE } from './sql.js'

declare module 'fastify' {
  interface FastifyInstance { scheduled: ScheduledService }
}

/**
 * Scheduled messages on the job queue (src/plugins/jobs.ts): the service, the relay that
 * queues rows whose time came (on worker nodes, every relay pass), and the worker that sends
 * them. A worker killed mid-send leaves its job active; pg-boss retries it after
 * JOBS_EXPIRE_S, and the retry finds the message already stored by its clientMsgId.
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
  jobs.relay(async () => (await app.sql.query<{ id: string }>(RELAY_SQL, [], 'scheduled_relay')).length, [SCHEDULED_QUEUE])
}, { name: 'scheduled', dependencies: ['config', 'db', 'jobs', 'messages'] })
