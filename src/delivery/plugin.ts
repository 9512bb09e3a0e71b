import fp from 'fastify-plugin'
import { createDelivery, type Delivery } from './index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** After a change commits: hands it to its subscribers (src/delivery/subscribers.ts). */
    delivery: Delivery
  }
}

/** The app's one delivery pipeline, on the realtime facade and the bot webhook worker. */
export default fp(async (app) => {
  app.decorate('delivery', createDelivery({ realtime: app.realtime, webhooks: app.webhooks, log: app.log }))
}, { name: 'delivery', dependencies: ['realtime', 'webhooks'] })
