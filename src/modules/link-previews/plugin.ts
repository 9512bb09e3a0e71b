import fp from 'fastify-plugin'
import { createOutboundAgents } from '../../lib/outbound-url.js'
import { createLinkPreviews, type LinkPreviews } from './previews.js'
import { CACHE_PURGE_SQL, FETCH_QUEUE, RELAY_SQL } from './sql.js'

declare module 'fastify' {
  interface FastifyInstance { linkPreviews: LinkPreviews }
}

/**
 * Link previews on the job queue (src/plugins/jobs.ts): the outbox relay, the fetch worker and
 * the cache's purge. Sends and edits write the outbox rows (the messages module); the sender's
 * removal is a change in the messages module too (link-previews.ts there).
 */
export default fp(async (app) => {
  const { config, jobs } = app
  // A fetch that failed on the database is tried again; one that found nothing is not a failure.
  await jobs.queue(FETCH_QUEUE, { retryLimit: 3, retryDelay: 2, retryBackoff: true, expireInSeconds: config.JOBS_EXPIRE_S })
  const agents = createOutboundAgents({ maxSockets: 16 })
  const previews = createLinkPreviews({
    sql: app.sql,
    fetch: { allowedHosts: config.outboundAllowedHosts, agents, timeoutMs: config.LINK_PREVIEW_TIMEOUT_MS },
    pageMaxBytes: config.LINK_PREVIEW_PAGE_MAX_BYTES,
    imageMaxBytes: config.LINK_PREVIEW_IMAGE_MAX_BYTES,
    cacheS: config.LINK_PREVIEW_CACHE_S,
    saveImage: async (ownerId, file) => await app.uploads.save(ownerId, file),
    attach: async (senderId, messageId, url, preview) => await app.linkPreviewChanges.attach(senderId, messageId, url, preview),
    log: app.log
  })
  app.decorate('linkPreviews', previews)
  // One job per batch (a slow site holds only its own job); two workers fetch side by side.
  await jobs.work(FETCH_QUEUE, { batchSize: 1 }, previews.work)
  await jobs.work(FETCH_QUEUE, { batchSize: 1 }, previews.work)
  let purged = 0
  jobs.relay(async () => {
    // The cache's expired rows go now and then, on the relay's beat (no cron on this queue).
    if (++purged % 3000 === 0) await app.sql.query(CACHE_PURGE_SQL, [], 'link_preview_cache_purge')
    return (await app.sql.query<{ id: string }>(RELAY_SQL, [], 'link_preview_relay')).length
  }, [FETCH_QUEUE])
  // Workers first (fetches in hand finish on these agents), then the agents.
  app.addHook('onClose', async () => { await jobs.stop(); agents.destroy() })
}, { name: 'link-previews', dependencies: ['config', 'db', 'jobs', 'uploads', 'messages'] })
