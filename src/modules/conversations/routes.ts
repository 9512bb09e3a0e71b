import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Conversation, DirectBody, IdParams, ListQuery, Settings, SettingsBody } from './schemas.js'
import { ErrorSchema } from '../../lib/error-schema.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema }
const tags = ['conversations']

const conversationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { conversations, conversationSettings: settings } = app
  app.addHook('onRequest', app.authenticate)

  app.get('/conversations', {
    schema: {
      operationId: 'listConversations',
      summary: 'My conversations, pinned first, then newest activity first',
      tags,
      security,
      description: 'My conversations: pinned first (latest pin first), then newest activity first; archived ones only with ?archived=true. The next page\'s cursor is in the x-next-cursor header.',
      querystring: ListQuery,
      response: { 200: Type.Array(Conversation), ...errors }
    }
  }, async (request, reply) => {
    const page = await conversations.list(request.userId, request.query)
    if (page.nextCursor !== undefined) void reply.header('x-next-cursor', page.nextCursor)
    return page.conversations
  })

  app.get('/conversations/:id', {
    schema: { operationId: 'getConversation', summary: 'A conversation I am a member of', tags, security, params: IdParams, response: { 200: Conversation, ...errors } }
  }, async (request) => await conversations.view(request.params.id, request.userId))

  app.post('/conversations/direct', {
    schema: {
      operationId: 'openDirectConversation',
      tags,
      security,
      summary: 'The 1:1 conversation with a friend (get-or-create)',
      body: DirectBody,
      response: { 200: Conversation, ...errors }
    }
  }, async (request) => await conversations.openDirect(request.userId, request.body.userId))

  app.patch('/conversations/:id/settings', {
    schema: {
      operationId: 'updateConversationSettings',
      tags,
      security,
      summary: 'My settings of a conversation: notify, mutedUntil, archived, pinned',
      params: IdParams,
      body: SettingsBody,
      response: { 200: Settings, ...errors }
    }
  }, async (request) => await settings.update(request.userId, request.params.id, request.body))
}
export default conversationRoutes
