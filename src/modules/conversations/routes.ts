import type { FastifyInstance } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ConversationsDeps } from './deps.js'
import conversationRoutes from './conversation-routes.js'
import { registerConversationEvents } from './events.js'
import groupRoutes from './group-routes.js'
import messageRoutes from './message-routes.js'
import { createConversationsService } from './service.js'

/** The services' dependencies, wired to this app (also for modules that reuse a conversations rule, e.g. leaving a group). */
export function conversationsDeps (app: FastifyInstance): ConversationsDeps {
  const { config } = app
  return {
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
    publish: (userIds, event, payload) => {
      app.realtime.toUsers(userIds, event, payload)
      // Bot webhooks: derived from the committed rows; this only wakes the worker.
      if (event === 'message:new') app.webhooks.notify(userIds)
    },
    friends: app.friends,
    presence: async (userIds) => await app.presence.status(userIds)
  }
}

/** Conversations, groups and messages: REST routes and socket events on one service. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const service = createConversationsService(conversationsDeps(app))
  registerConversationEvents(app.realtime, service)
  await app.register(conversationRoutes, { service })
  await app.register(messageRoutes, { service })
  await app.register(groupRoutes, { service })
}
export default routes
