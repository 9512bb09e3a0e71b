import fp from 'fastify-plugin'
import { createFriendsService, type FriendsService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance { friends: FriendsService }
}

/**
 * The one friends service of the app, publishing its events to user rooms. The friends
 * routes, conversations and signal all ask this instance about pairs of users.
 */
export default fp(async (app) => {
  app.decorate('friends', createFriendsService(app.prisma, {
    publish: app.realtime.toUser
  }))
}, { name: 'friends', dependencies: ['db', 'realtime'] })
