import fp from 'fastify-plugin'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Turns readiness red for good while everything else keeps serving: the start of a
     * graceful shutdown, so a load balancer stops routing here before sockets are closed.
     */
    markDraining: () => void
  }
}

/** Liveness answers while the process runs; readiness also needs the database (and Redis when configured). */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  let closing = false
  app.decorate('markDraining', () => { closing = true })
  app.addHook('preClose', async () => { closing = true })

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const checks: Record<string, boolean> = { db: false }
    if (!closing) {
      try {
        await app.prisma.$queryRaw`SELECT 1`
        checks.db = true
      } catch {}
      if (app.realtime.redisPing !== undefined) checks.redis = await app.realtime.redisPing()
    }
    const ready = !closing && Object.values(checks).every(Boolean)
    return await reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : (closing ? 'closing' : 'unavailable'), checks })
  })
}
// Not encapsulated, so server.ts can call markDraining() on the root instance.
export default fp(healthRoutes, { name: 'health' })
