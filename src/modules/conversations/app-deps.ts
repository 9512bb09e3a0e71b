import type { FastifyInstance } from 'fastify'
import { channelRoom } from '../../plugins/realtime/index.js'
import type { ConversationsDeps } from './deps.js'

/**
 * The conversation services' dependencies wired to this app, built once by the conversations
 * plugin. Live delivery lives here: each publish goes to the realtime facade, and a new message
 * also wakes the bot webhook worker.
 */
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
