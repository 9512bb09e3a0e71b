import type { FastifyPluginAsync } from 'fastify'
import { createFriendsService } from '../friends/service.js'
import { registerSignalEvents } from './events.js'
import { createSignalService } from './service.js'

/** The `signal` socket event; no REST routes. */
const signal: FastifyPluginAsync = async (app) => {
  registerSignalEvents(app.realtime, createSignalService(app.prisma, createFriendsService(app.prisma)))
}
export default signal
