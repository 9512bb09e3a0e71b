import type { FastifyInstance } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { channelRoom } from '../../plugins/realtime.js'
import channelRoutes from './channel-routes.js'
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
    sendSql: app.sendSql,
    sendConcurrency: app.sendConcurrency,
    changeConcurrency: app.changeConcurrency,
    // About a second of work either way. Each waiting send holds ~10 KB of heap: PGlite's
    // 20,000 (at ~2,000 msg/s, ten seconds of its work) were most of the ~1 GB RSS seen at
    // 2,000 msg/s in embedded mode (bench/results/2026-12-01b).
    sendQueueMax: app.dbKind === 'postgres' ? 20_000 : 2_000,
    limits: {
      textMaxChars: config.TEXT_MAX_CHARS,
      customMaxBytes: config.CUSTOM_MAX_BYTES,
      groupMaxMembers: config.GROUP_MAX_MEMBERS,
      channelMaxMembers: config.CHANNEL_MAX_MEMBERS,
      recallWindowS: config.RECALL_WINDOW_S,
      editWindowS: config.EDIT_WINDOW_S
    },
    // Late-bound (tests observe the facade's calls). Bot webhooks are derived from the
    // committed rows; a message:new only wakes the worker.
    publish: (userIds, event, payload) => {
      app.realtime.toUsers(userIds, event, payload)
      if (event === 'message:new') app.webhooks.notify(userIds)
    },
    channels: {
      publish: (channelId, event, payload, except) => {
        app.realtime.toRoom(channelRoom(channelId), event, payload, except)
        if (event === 'message:new') app.webhooks.notifyAny()
      },
      join: (userIds, channelId) => { app.realtime.joinRoom(userIds, channelRoom(channelId)) },
      leave: (userIds, channelId) => { app.realtime.leaveRoom(userIds, channelRoom(channelId)) }
    },
    friends: app.friends,
    presence: async (viewerId, userIds) => await app.presence.statusFor(viewerId, userIds),
    log: app.log
  }
}

/** Conversations, groups and messages: REST routes and socket events on one service. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const service = createConversationsService(conversationsDeps(app))
  registerConversationEvents(app.realtime, service)
  // A socket joins the rooms of its user's channels before its `connect` completes.
  app.realtime.roomsAtConnect(async (userId) => (await service.channels.idsOf(userId)).map(channelRoom))
  await app.register(conversationRoutes, { service })
  await app.register(messageRoutes, { service })
  await app.register(groupRoutes, { service })
  await app.register(channelRoutes, { service })
}
export default routes
