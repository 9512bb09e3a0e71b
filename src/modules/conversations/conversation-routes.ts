import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Conversation, DirectBody, IdParams, ListQuery } from './schemas.js'
import type { ConversationsService } from './service.js'
import { ErrorSchema } from '../users/schemas.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema }
const tags = ['conversations']

const conversationRoutes: FastifyPluginAsyncTypebox<{ service: ConversationsService }> = async (app, { service }) => {
  const { conversations } = service

  app.get('/conversations', {
    onRequest: [app.authenticate],
    schema: {
      tags,
      security,
      summary: 'My conversations, newest activity first. The next page\'s cursor is in the x-next-cursor header.',
      querystring: ListQuery,
      response: { 200: Type.Array(Conversation), ...errors }
    }
  }, async (request, reply) => {
    const page = await conversations.list(request.userId, request.query)
    if (page.nextCursor !== undefined) void reply.header('x-next-cursor', page.nextCursor)
    return page.conversations
  })

  app.get('/conversations/:id', {
    onRequest: [app.authenticate],
    schema: { tags, security, params: IdParams, response: { 200: Conversation, ...errors } }
  }, async (request) => await conversations.view(request.params.id, request.userId))

  app.post('/conversations/direct', {
    onRequest: [app.authenticate],
    schema: {
      tags,
      security,
      summary: 'The 1:1 conversation with a friend (get-or-create)',
      body: DirectBody,
      response: { 200: Conversation, ...errors }
    }
  }, async (request) => await conversations.openDirect(request.userId, request.body.userId))
}
export default conversationRoutes
