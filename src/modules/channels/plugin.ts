import fp from 'fastify-plugin'
import { channelRoom } from '../../plugins/realtime/index.js'
import { createChannelService, type ChannelService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance { channels: ChannelService }
}

/** The one public-channels service of the app; a socket joins the rooms of its user's channels before its `connect` completes. */
export default fp(async (app) => {
  const channels = createChannelService(app.conversationsDeps, app.conversations)
  app.decorate('channels', channels)
  app.realtime.roomsAtConnect(async (userId) => (await channels.idsOf(userId)).map(channelRoom))
}, { name: 'channels', dependencies: ['conversations', 'realtime'] })
