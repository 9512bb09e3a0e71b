import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import { BotCreatedSchema, BotIdParams, BotSchema, BotTokenSchema, CreateBotBody, DeliveriesQuery, DeliverySchema, WebhookBody } from './schemas.js'
import { createBotsService } from './service.js'
import { checkWebhookUrl } from './webhook-url.js'

const tags = ['bots']
const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema }

/** Bot accounts and their webhooks, managed by their owner (a signed-in person, or a bot for reading). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, account } = app
  const endSessions = async (userId: string, atMs: number): Promise<void> => { await app.realtime.endSessions(userId, atMs) }
  const bots = createBotsService({
    prisma: app.prisma,
    eraseAccount: async (userId) => await account.erase(userId, { isBot: true }),
    endSessions,
    checkWebhookUrl: async (url) => { await checkWebhookUrl(config, url) },
    webhookChanged: () => { app.webhooks.kick() }
  })
  app.addHook('onRequest', app.authenticate)

  app.post('/bots', {
    schema: {
      tags,
      security,
      operationId: 'createBot',
      summary: 'Create a bot I own; the reply carries its token, shown only this once',
      body: CreateBotBody,
      response: { 201: BotCreatedSchema, ...errors, 409: ErrorSchema }
    }
  }, async (request, reply) => {
    const created = await bots.create(request.userId, request.isBot, request.body)
    return await reply.status(201).send(created)
  })

  app.get('/bots', {
    schema: { tags, security, operationId: 'listBots', summary: 'The bots I own, with their webhook URL', response: { 200: Type.Array(BotSchema), 401: ErrorSchema } }
  }, async (request) => await bots.list(request.userId))

  app.delete('/bots/:id', {
    schema: {
      tags,
      security,
      operationId: 'deleteBot',
      summary: 'Delete my bot: its token stops working, its sockets are cut, its messages stay as from "Deleted user"',
      params: BotIdParams,
      response: { 204: Type.Null(), ...errors }
    }
  }, async (request, reply) => {
    await bots.remove(request.userId, request.params.id)
    return await reply.status(204).send(null)
  })

  app.post('/bots/:id/token', {
    schema: {
      tags,
      security,
      operationId: 'rotateBotToken',
      summary: 'Replace my bot\'s token: the old one stops working and its sockets are cut',
      params: BotIdParams,
      response: { 200: BotTokenSchema, ...errors }
    }
  }, async (request) => await bots.rotateToken(request.userId, request.params.id))

  app.put('/bots/:id/webhook', {
    schema: {
      tags,
      security,
      operationId: 'setBotWebhook',
      summary: 'Set my bot\'s webhook: every new message in its conversations is POSTed there, signed with the secret',
      params: BotIdParams,
      body: WebhookBody,
      response: { 200: BotSchema, ...errors }
    }
  }, async (request) => await bots.setWebhook(request.userId, request.params.id, request.body))

  app.delete('/bots/:id/webhook', {
    schema: {
      tags,
      security,
      operationId: 'deleteBotWebhook',
      summary: 'Remove my bot\'s webhook; deliveries stop',
      params: BotIdParams,
      response: { 204: Type.Null(), ...errors }
    }
  }, async (request, reply) => {
    await bots.deleteWebhook(request.userId, request.params.id)
    return await reply.status(204).send(null)
  })

  app.get('/bots/:id/deliveries', {
    schema: {
      tags,
      security,
      operationId: 'listBotDeliveries',
      summary: 'My bot\'s webhook delivery log, newest first: one row per attempt',
      params: BotIdParams,
      querystring: DeliveriesQuery,
      response: { 200: Type.Array(DeliverySchema), ...errors }
    }
  }, async (request) => await bots.deliveries(request.userId, request.params.id, request.query))
}
export default routes
