import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AddMembersBody, Conversation, CreateGroupBody, IdParams, MemberParams } from './schemas.js'
import type { ConversationsService } from './service.js'
import { ErrorSchema } from '../../lib/error-schema.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }
const tags = ['groups']

const groupRoutes: FastifyPluginAsyncTypebox<{ service: ConversationsService }> = async (app, { service }) => {
  const { groups } = service
  app.addHook('onRequest', app.authenticate)

  app.post('/groups', {
    schema: { operationId: 'createGroup', tags, security, summary: 'Create a group; the caller becomes its owner', body: CreateGroupBody, response: { 201: Conversation, ...errors } }
  }, async (request, reply) => {
    return await reply.status(201).send(await groups.create(request.userId, request.body))
  })

  app.post('/groups/:id/members', {
    schema: { operationId: 'addGroupMembers', tags, security, summary: 'Add members (owner or admin)', params: IdParams, body: AddMembersBody, response: { 200: Conversation, ...errors } }
  }, async (request) => await groups.addMembers(request.userId, request.params.id, request.body.userIds))

  app.delete('/groups/:id/members/:userId', {
    schema: { operationId: 'removeGroupMember', tags, security, summary: 'Remove a member (owner or admin), or leave (`me` or your own id); channels too', params: MemberParams, response: { 200: Conversation, ...errors } }
  }, async (request) => {
    const { id, userId } = request.params
    return await groups.removeMember(request.userId, id, userId === 'me' ? request.userId : userId)
  })
}
export default groupRoutes
