import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Conversation, IdParams } from '../conversations/index.js'
import { ChannelListQuery, ChannelSummary, CreateChannelBody } from './schemas.js'
import { ErrorSchema } from '../../lib/error-schema.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }
const tags = ['channels']

/** Public channels: create, discover, join. Leave with DELETE /groups/:id/members/me. */
const channelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { channels } = app
  app.addHook('onRequest', app.authenticate)

  app.post('/channels', {
    schema: { operationId: 'createChannel', tags, security, summary: 'Create a public channel; the caller becomes its owner', body: CreateChannelBody, response: { 201: Conversation, ...errors } }
  }, async (request, reply) => {
    return await reply.status(201).send(await channels.create(request.userId, request.body))
  })

  app.get('/channels', {
    schema: {
      operationId: 'listChannels',
      tags,
      security,
      summary: 'Public channels, most members first',
      description: 'Public channels, most members first; `q` is a case-insensitive substring of the name. The next page\'s cursor is in the x-next-cursor header.',
      querystring: ChannelListQuery,
      response: { 200: Type.Array(ChannelSummary), ...errors }
    }
  }, async (request, reply) => {
    const page = await channels.list(request.userId, request.query)
    if (page.nextCursor !== undefined) void reply.header('x-next-cursor', page.nextCursor)
    return page.channels
  })

  app.post('/channels/:id/join', {
    schema: { operationId: 'joinChannel', tags, security, summary: 'Join a public channel (a member already: no change)', params: IdParams, response: { 200: Conversation, ...errors } }
  }, async (request) => await channels.join(request.userId, request.params.id))
}
export default channelRoutes
