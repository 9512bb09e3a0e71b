import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { IdParams, Message } from '../conversations/index.js'
import { ClearBody, DeleteMessageQuery, EditBody, HistoryQuery, MessagePage, MessageParams, PinBody, PinList, ReactionParams, ReactionsResult, ReadBody, ReadResult, SendMessageBody } from './schemas.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { pollRoutes } from './polls.js'
import { linkPreviewRoutes } from './link-previews.js'
import { threadRoutes } from './thread-routes.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }
const tags = ['messages']

const messageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { messages, messageChanges: actions } = app
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
    const { clientMsgId, type, content, replyTo, mentions, forwardOf, linkPreview, threadRootId, alsoInChat } = request.body
    const { message, created } = await messages.send(request.userId, request.params.id, { clientMsgId, type, content, replyTo, mentions, forwardOf, linkPreview, threadRootId, alsoInChat })
    return await reply.status(created ? 201 : 200).send(message)
  })

  app.post('/conversations/:id/read', {
    schema: { operationId: 'markRead', summary: 'Mark messages read up to a seq', tags, security, params: IdParams, body: ReadBody, response: { 200: ReadResult, ...errors } }
  }, async (request) => await messages.markRead(request.userId, request.params.id, request.body.seq))

  app.delete('/conversations/:id/messages/:messageId', {
    schema: {
      tags,
      security,
      operationId: 'deleteMessage',
      summary: 'Recall (same as the message:recall event); with ?for=me, delete for me only (v2)',
      params: MessageParams,
      querystring: DeleteMessageQuery,
      response: { 204: Type.Null(), ...errors }
    }
  }, async (request, reply) => {
    if (request.query.for === 'me') await actions.hide(request.userId, request.params.id, request.params.messageId)
    else await messages.recall(request.userId, request.params.messageId, request.params.id)
    return await reply.status(204).send(null)
  })

  app.patch('/conversations/:id/messages/:messageId', {
    schema: {
      tags,
      security,
      operationId: 'editMessage',
      summary: 'Edit (same as the message:edit event): sender only, text and custom, within EDIT_WINDOW_S',
      params: MessageParams,
      body: EditBody,
      response: { 200: Message, ...errors }
    }
  }, async (request) => await actions.edit(request.userId, request.params.messageId, request.body.content, request.params.id))

  app.put('/conversations/:id/messages/:messageId/reactions/:emoji', {
    schema: {
      tags,
      security,
      operationId: 'addReaction',
      summary: 'Add my reaction (same as reaction:add); adding twice is a no-op',
      params: ReactionParams,
      response: { 200: ReactionsResult, ...errors }
    }
  }, async (request) => await actions.react(request.userId, request.params.messageId, request.params.emoji, true, request.params.id))

  app.delete('/conversations/:id/messages/:messageId/reactions/:emoji', {
    schema: {
      tags,
      security,
      operationId: 'removeReaction',
      summary: 'Remove my reaction (same as reaction:remove); removing an absent one is a no-op',
      params: ReactionParams,
      response: { 200: ReactionsResult, ...errors }
    }
  }, async (request) => await actions.react(request.userId, request.params.messageId, request.params.emoji, false, request.params.id))

  app.get('/conversations/:id/pins', {
    schema: { tags, security, operationId: 'listPins', summary: 'Pinned messages, the latest pin first', params: IdParams, response: { 200: PinList, ...errors } }
  }, async (request) => await actions.pins(request.userId, request.params.id))

  app.post('/conversations/:id/pins', {
    schema: {
      tags,
      security,
      operationId: 'pinMessage',
      summary: 'Pin (same as message:pin with pinned: true); groups: owner and admins; at most 50',
      params: IdParams,
      body: PinBody,
      response: { 200: Message, ...errors }
    }
  }, async (request) => await actions.pin(request.userId, request.body.messageId, true, request.params.id))

  app.delete('/conversations/:id/pins/:messageId', {
    schema: { tags, security, operationId: 'unpinMessage', summary: 'Unpin (same as message:pin with pinned: false)', params: MessageParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await actions.pin(request.userId, request.params.messageId, false, request.params.id)
    return await reply.status(204).send(null)
  })

  app.post('/conversations/:id/clear', {
    // the body is optional: no body means {} (clear everything so far)
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      tags,
      security,
      operationId: 'clearHistory',
      summary: 'Clear history for me, up to uptoSeq (default: all so far)',
      params: IdParams,
      body: ClearBody,
      response: { 204: Type.Null(), ...errors }
    }
  }, async (request, reply) => {
    await actions.clear(request.userId, request.params.id, request.body.uptoSeq)
    return await reply.status(204).send(null)
  })

  await app.register(pollRoutes)
  await app.register(linkPreviewRoutes)
  await app.register(threadRoutes)
}
export default messageRoutes
