import fp from 'fastify-plugin'
import { createOutboundAgents } from '../../lib/outbound-url.js'
import { createDelivery, MESSAGE_QUEUE, RELAY_SQL, SEND_QUEUE } from './delivery.js'

/**
 * Web Push delivery on the job queue (src/plugins/jobs.ts): the outbox relay and the two
 * workers (see delivery.ts). The routes are in routes.ts. Off when VAPID keys are missing in
 * production (config.vapid undefined).
 */
export default fp(async (app) => {
  const { config, jobs } = app
  if (config.vapid === undefined) {
    app.log.warn('Web Push is off: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (npx web-push generate-vapid-keys)')
    return
  }
  await jobs.queue(MESSAGE_QUEUE, { retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: config.JOBS_EXPIRE_S })
  await jobs.queue(SEND_QUEUE, { retryLimit: config.PUSH_RETRY_LIMIT, retryDelay: 1, retryBackoff: true, expireInSeconds: config.JOBS_EXPIRE_S })

  const agents = createOutboundAgents()
  const delivery = createDelivery({
    sql: app.sql,
    boss: jobs.boss,
    online: async (userIds) => {
      const status = await app.presence.status(userIds)
      return new Set([...status].filter(([, s]) => s.online).map(([id]) => id))
    },
    vapid: config.vapid,
    preview: config.PUSH_PREVIEW,
    ttlS: config.PUSH_TTL_S,
    allowedHosts: config.outboundAllowedHosts,
    agents,
    log: app.log
  })

  // Planning is a few queries per message; sending waits on push services, so two send
  // workers keep requests in flight while one waits for its batch's slowest answer.
  await jobs.work(MESSAGE_QUEUE, { batchSize: 50 }, delivery.workMessages)
  await jobs.work(SEND_QUEUE, { batchSize: 50 }, delivery.workSends)
  await jobs.work(SEND_QUEUE, { batchSize: 50 }, delivery.workSends)
  jobs.relay(async () => (await app.sql.query<{ id: string }>(RELAY_SQL, [], 'push_relay')).length, [MESSAGE_QUEUE])
  // Workers first (jobs in hand finish on these agents), then the agents.
  app.addHook('onClose', async () => { await jobs.stop(); agents.destroy() })
}, { name: 'push', dependencies: ['config', 'db', 'jobs', 'presence'] })
