import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HistoryQuery, IdParams, Message, MessagePage, MessageParams, ReadBody, ReadResult, SendMessageBody } from './schemas.js'
import type { ConversationsService } from './service.js'
import { ErrorSchema } from '../../lib/error-schema.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema }
const tags = ['messages']

const messageRoutes: FastifyPluginAsyncTypebox<{ service: ConversationsService }> = async (app, { service }) => {
  const { messages } = service
  app.addHook('onRequest', app.authenticate)

  app.get('/conversations/:id/messages', {
    schema: {
      operationId: 'listMessages',
      summary: 'Message history, paged by seq',
      tags,
      security,
      description: '?before=seq (newest first) or ?after=seq (oldest first); neither: the latest, newest first',
      params: IdParams,
      querystring: HistoryQuery,
      response: { 200: MessagePage, ...errors }
    }
  }, async (request) => await messages.history(request.userId, request.params.id, request.query))

  app.post('/conversations/:id/messages', {
    schema: {
      operationId: 'sendMessage',
      summary: 'Send a message',
      tags,
      security,
      description: 'Send (same as the message:send event). 201 new; 200 with the original for a repeated clientMsgId.',
      params: IdParams,
      body: SendMessageBody,
      response: { 200: Message, 201: Message, ...errors }
    }
  }, async (request, reply) => {
    const { clientMsgId, type, content } = request.body
    const { message, created } = await messages.send(request.userId, request.params.id, { clientMsgId, type, content })
    return await reply.status(created ? 201 : 200).send(message)
  })

  app.post('/conversations/:id/read', {
    schema: { operationId: 'markRead', summary: 'Mark messages read up to a seq', tags, security, params: IdParams, body: ReadBody, response: { 200: ReadResult, ...errors } }
  }, async (request) => await messages.markRead(request.userId, request.params.id, request.body.seq))

  app.delete('/conversations/:id/messages/:messageId', {
    schema: { operationId: 'recallMessage', tags, security, summary: 'Recall (same as the message:recall event)', params: MessageParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await messages.recall(request.userId, request.params.messageId, request.params.id)
    return await reply.status(204).send(null)
  })
}
export default messageRoutes
