import type { FastifyInstance } from 'fastify'
import type { ConversationsDeps } from './deps.js'

/** The conversation services' dependencies wired to this app, built once by the conversations plugin. */
export function conversationsDeps (app: FastifyInstance): ConversationsDeps {
  const { config } = app
  return {
    prisma: app.prisma,
    sql: app.sql,
    sendSql: app.sendSql,
    sendConcurrency: app.sendConcurrency,
    changeConcurrency: app.changeConcurrency,
    // About a second of work either way. Each waiting send holds ~10 KB of heap: with PGlite's
    // queue at 20,000 (ten seconds of its work at ~2,000 msg/s) the queue was most of a ~1 GB
    // RSS in embedded mode.
    sendQueueMax: app.dbKind === 'postgres' ? 20_000 : 2_000,
    limits: {
      textMaxChars: config.TEXT_MAX_CHARS,
      customMaxBytes: config.CUSTOM_MAX_BYTES,
      groupMaxMembers: config.GROUP_MAX_MEMBERS,
      channelMaxMembers: config.CHANNEL_MAX_MEMBERS,
      recallWindowS: config.RECALL_WINDOW_S,
      editWindowS: config.EDIT_WINDOW_S,
      retentionMinDays: config.RETENTION_MIN_DAYS,
      retentionMaxDays: config.RETENTION_MAX_DAYS
    },
    delivery: app.delivery,
    friends: app.friends,
    presence: async (viewerId, userIds) => await app.presence.statusFor(viewerId, userIds),
    log: app.log,
    ...(config.LINK_PREVIEWS ? { linkPreviews: { allowedHosts: config.outboundAllowedHosts } } : {})
  }
}
