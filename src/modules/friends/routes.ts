import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import {
  BlockedUserSchema, BlockSchema, DirectionQuery, FriendRequestSchema, FriendSchema, RelationSchema,
  RequestIdParams, SendRequestBody, UserIdParams
} from './schemas.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }

/** Friend requests, friendships and blocks. Events go to user rooms after each commit. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { friends } = app
  app.addHook('onRequest', app.authenticate)

  app.post('/friends/requests', {
    schema: {
      operationId: 'sendFriendRequest',
      summary: 'Send a friend request',
      tags: ['friends'],
      security,
      description: 'Send a friend request. When the other user already asked me, this accepts their request instead (201 with it, status accepted).',
      body: SendRequestBody,
      response: { 201: FriendRequestSchema, ...errors }
    }
  }, async (request, reply) => {
    const { request: sent } = await friends.sendRequest(request.userId, request.body.toUserId, request.body.message)
    return await reply.status(201).send(sent)
  })

  app.get('/friends/requests', {
    schema: {
      operationId: 'listFriendRequests',
      summary: 'Pending friend requests',
      tags: ['friends'],
      security,
      description: 'Pending requests to me (incoming, default) or from me (outgoing), newest first',
      querystring: DirectionQuery,
      response: { 200: Type.Array(FriendRequestSchema), 400: ErrorSchema, 401: ErrorSchema }
    }
  }, async (request) => await friends.listRequests(request.userId, request.query.direction ?? 'incoming'))

  app.post('/friends/requests/:id/accept', {
    schema: { operationId: 'acceptFriendRequest', tags: ['friends'], security, summary: 'Accept a request sent to me', params: RequestIdParams, response: { 200: FriendRequestSchema, ...errors } }
  }, async (request) => await friends.accept(request.userId, request.params.id))

  app.post('/friends/requests/:id/decline', {
    schema: { operationId: 'declineFriendRequest', tags: ['friends'], security, summary: 'Decline a request sent to me', params: RequestIdParams, response: { 200: FriendRequestSchema, ...errors } }
  }, async (request) => await friends.decline(request.userId, request.params.id))

  app.delete('/friends/requests/:id', {
    schema: { operationId: 'cancelFriendRequest', tags: ['friends'], security, summary: 'Cancel a request I sent', params: RequestIdParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await friends.cancel(request.userId, request.params.id)
    return await reply.status(204).send(null)
  })

  app.get('/friends', {
    schema: { operationId: 'listFriends', tags: ['friends'], security, summary: 'My friends by username, with presence', response: { 200: Type.Array(FriendSchema), 401: ErrorSchema } }
  }, async (request) => {
    const list = await friends.listFriends(request.userId)
    const status = list.length > 0 ? await app.presence.statusFor(request.userId, list.map((f) => f.user.id)) : new Map()
    return list.map((f) => ({ ...f, presence: status.get(f.user.id) ?? { online: false, lastSeenAt: null } }))
  })

  app.get('/friends/:userId', {
    schema: { operationId: 'getRelation', tags: ['friends'], security, summary: 'How I stand towards a user', params: UserIdParams, response: { 200: RelationSchema, ...errors } }
  }, async (request) => await friends.relationWith(request.userId, request.params.userId))

  app.delete('/friends/:userId', {
    schema: { operationId: 'removeFriend', tags: ['friends'], security, summary: 'Unfriend (both ways)', params: UserIdParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await friends.removeFriend(request.userId, request.params.userId)
    return await reply.status(204).send(null)
  })

  app.post('/blocks/:userId', {
    schema: {
      operationId: 'blockUser',
      summary: 'Block a user',
      tags: ['blocks'],
      security,
      description: 'Block a user (201; 200 when already blocked). Ends the friendship and pending requests both ways.',
      params: UserIdParams,
      response: { 200: BlockSchema, 201: BlockSchema, ...errors }
    }
  }, async (request, reply) => {
    const { block, created } = await friends.block(request.userId, request.params.userId)
    return await reply.status(created ? 201 : 200).send(block)
  })

  app.delete('/blocks/:userId', {
    schema: { operationId: 'unblockUser', tags: ['blocks'], security, summary: 'Unblock a user (friendship is not restored)', params: UserIdParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await friends.unblock(request.userId, request.params.userId)
    return await reply.status(204).send(null)
  })

  app.get('/blocks', {
    schema: { operationId: 'listBlocks', tags: ['blocks'], security, summary: 'Users I block, most recent first', response: { 200: Type.Array(BlockedUserSchema), 401: ErrorSchema } }
  }, async (request) => await friends.listBlocks(request.userId))
}
export default routes
