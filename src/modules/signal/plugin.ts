import type { FastifyPluginAsync } from 'fastify'
import { registerSignalEvents } from './events.js'
import { createSignalService } from './service.js'

/** The `signal` socket event; no REST routes. */
const signal: FastifyPluginAsync = async (app) => {
  registerSignalEvents(app.realtime, createSignalService(app.prisma, app.friends))
}
export default signal
