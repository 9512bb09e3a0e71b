import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import conversationRoutes from './conversation-routes.js'
import { registerConversationEvents } from './events.js'
import groupRoutes from './group-routes.js'
import messageRoutes from './message-routes.js'
import { createConversationsService } from './service.js'

/** Conversations, groups and messages: REST routes and socket events on one service. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const service = createConversationsService({
    prisma: app.prisma,
    sql: app.sql,
    sendConcurrency: app.dbKind !== 'postgres'
      ? 1
      : config.DB_SEND_CONCURRENCY > 0 ? config.DB_SEND_CONCURRENCY : Math.max(1, Math.min(4, Math.floor(config.DB_POOL_MAX / 3))),
    limits: {
      textMaxChars: config.TEXT_MAX_CHARS,
      customMaxBytes: config.CUSTOM_MAX_BYTES,
      groupMaxMembers: config.GROUP_MAX_MEMBERS,
      recallWindowS: config.RECALL_WINDOW_S,
      editWindowS: config.EDIT_WINDOW_S
    },
    publish: (userIds, event, payload) => { app.realtime.toUsers(userIds, event, payload) },
    friends: app.friends,
    presence: async (userIds) => await app.presence.status(userIds)
  })
  registerConversationEvents(app.realtime, service)
  await app.register(conversationRoutes, { service })
  await app.register(messageRoutes, { service })
  await app.register(groupRoutes, { service })
}
export default routes
