import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import { Errors } from '../../lib/errors.js'
import { SubscriptionBody, SubscriptionIdParams, SubscriptionSchema, VapidKeySchema } from './schemas.js'
import { createPushService } from './service.js'

/** Web Push (docs/protocol.md, "Web Push and outbound URLs"): the VAPID key and the signed-in user's subscriptions. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const push = createPushService(app.prisma, { allowedHosts: config.outboundAllowedHosts, maxPerUser: config.PUSH_MAX_SUBSCRIPTIONS })
  const vapid = config.vapid
  app.addHook('onRequest', app.authenticate)
  app.addHook('preHandler', async () => { if (vapid === undefined) throw Errors.pushNotConfigured() })

  app.get('/push/vapid-public-key', {
    schema: {
      tags: ['push'],
      security: [{ bearer: [] }],
      operationId: 'getVapidPublicKey',
      summary: 'The VAPID public key to subscribe a browser with (applicationServerKey)',
      response: { 200: VapidKeySchema, 401: ErrorSchema, 404: ErrorSchema }
    }
  }, async () => ({ publicKey: vapid!.publicKey }))

  app.post('/push/subscriptions', {
    schema: {
      tags: ['push'],
      security: [{ bearer: [] }],
      operationId: 'createPushSubscription',
      summary: 'Register this browser\'s push subscription (PushSubscription.toJSON()); the same endpoint again refreshes its keys',
      body: SubscriptionBody,
      response: { 201: Type.Object({ id: Type.String({ format: 'uuid' }) }), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }
    }
  }, async (request, reply) => {
    const { id } = await push.subscribe(request.userId, request.body)
    return await reply.status(201).send({ id })
  })

  app.get('/push/subscriptions', {
    schema: {
      tags: ['push'],
      security: [{ bearer: [] }],
      operationId: 'listPushSubscriptions',
      summary: 'My push subscriptions, oldest first',
      response: { 200: Type.Array(SubscriptionSchema), 401: ErrorSchema, 404: ErrorSchema }
    }
  }, async (request) => await push.list(request.userId))

  app.delete('/push/subscriptions/:id', {
    schema: {
      tags: ['push'],
      security: [{ bearer: [] }],
      operationId: 'deletePushSubscription',
      summary: 'Remove one of my push subscriptions',
      params: SubscriptionIdParams,
      response: { 204: Type.Null(), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema }
    }
  }, async (request, reply) => {
    await push.remove(request.userId, request.params.id)
    return await reply.status(204).send(null)
  })
}
export default routes
