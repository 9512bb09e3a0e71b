import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Conversation, IdParams } from '../conversations/index.js'
import { AddMembersBody, BannedMember, CreateGroupBody, CreateInviteBody, GroupInviteParams, Invite, InviteLink, InviteParams, InvitePreview, MemberIdParams, MemberParams, RetentionBody, RoleBody, TransferBody, UpdateGroupBody } from './schemas.js'
import { ErrorSchema } from '../../lib/error-schema.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }
const tags = ['groups']

const groupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { groups, groupInvites: invites, groupBans: bans } = app
  app.addHook('onRequest', app.authenticate)
  // Per user (the hook runs after authentication): a code is 192 random bits, this only stops floods.
  const inviteRateLimit = {
    max: app.config.INVITE_RATE_LIMIT_MAX,
    timeWindow: app.config.INVITE_RATE_LIMIT_WINDOW_MS,
    keyGenerator: (request: { userId?: string, ip: string }) => `invite:${request.userId ?? request.ip}`
  }

  app.post('/groups', {
    schema: { operationId: 'createGroup', tags, security, summary: 'Create a group; the caller becomes its owner', body: CreateGroupBody, response: { 201: Conversation, ...errors } }
  }, async (request, reply) => {
    return await reply.status(201).send(await groups.create(request.userId, request.body))
  })

  app.patch('/groups/:id', {
    schema: {
      operationId: 'updateGroup',
      tags,
      security,
      summary: 'Change the group\'s name, topic or avatar (owner or admin)',
      params: IdParams,
      body: UpdateGroupBody,
      response: { 200: Conversation, ...errors }
    }
  }, async (request) => await groups.updateProfile(request.userId, request.params.id, request.body))

  app.put('/groups/:id/retention', {
    schema: {
      operationId: 'setGroupRetention',
      tags,
      security,
      summary: 'Keep messages this many days, within the server\'s bounds, or null for the server\'s default (owner or admin; groups and channels)',
      params: IdParams,
      body: RetentionBody,
      response: { 200: Conversation, ...errors }
    }
  }, async (request) => await groups.setRetention(request.userId, request.params.id, request.body.days))

  app.post('/groups/:id/members', {
    schema: { operationId: 'addGroupMembers', tags, security, summary: 'Add members (owner or admin)', params: IdParams, body: AddMembersBody, response: { 200: Conversation, ...errors } }
  }, async (request) => await groups.addMembers(request.userId, request.params.id, request.body.userIds))

  app.delete('/groups/:id/members/:userId', {
    schema: { operationId: 'removeGroupMember', tags, security, summary: 'Remove a member (owner or admin), or leave (your own id, or me)', params: MemberParams, response: { 200: Conversation, ...errors } }
  }, async (request) => {
    const target = request.params.userId === 'me' ? request.userId : request.params.userId
    return await groups.removeMember(request.userId, request.params.id, target)
  })

  app.put('/groups/:id/members/:userId/role', {
    schema: { operationId: 'setGroupMemberRole', tags, security, summary: 'Make a member admin, or an admin member (owner)', params: MemberIdParams, body: RoleBody, response: { 200: Conversation, ...errors } }
  }, async (request) => await groups.setRole(request.userId, request.params.id, request.params.userId, request.body.role))

  app.post('/groups/:id/transfer', {
    schema: { operationId: 'transferGroupOwnership', tags, security, summary: 'Hand the group to another member; the old owner becomes admin (owner)', params: IdParams, body: TransferBody, response: { 200: Conversation, ...errors } }
  }, async (request) => await groups.transfer(request.userId, request.params.id, request.body.userId))

  app.post('/groups/:id/invites', {
    // the body is optional: no body means {} (no expiry, no use limit)
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      operationId: 'createGroupInvite',
      tags,
      security,
      summary: 'Make an invite link code (owner or admin); the code is shown only here',
      params: IdParams,
      body: CreateInviteBody,
      response: { 201: Invite, ...errors }
    }
  }, async (request, reply) => await reply.status(201).send(await invites.create(request.userId, request.params.id, request.body)))

  app.get('/groups/:id/invites', {
    schema: {
      operationId: 'listGroupInvites',
      tags,
      security,
      summary: 'The group\'s live invites, newest first: id, maker, time, uses, expiry; never the code (owner or admin)',
      params: IdParams,
      response: { 200: Type.Array(InviteLink), ...errors }
    }
  }, async (request) => await invites.list(request.userId, request.params.id))

  app.delete('/groups/:id/invites/:code', {
    schema: { operationId: 'revokeGroupInvite', tags, security, summary: 'Revoke an invite by its code or its id (owner or admin)', params: GroupInviteParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await invites.revoke(request.userId, request.params.id, request.params.code)
    return await reply.status(204).send(null)
  })

  app.get('/groups/:id/bans', {
    schema: {
      operationId: 'listBans',
      tags,
      security,
      summary: 'Users removed by the owner or an admin, who cannot come back until unbanned (groups and channels; owner or admin)',
      params: IdParams,
      response: { 200: Type.Array(BannedMember), ...errors }
    }
  }, async (request) => await bans.list(request.userId, request.params.id))

  app.put('/groups/:id/bans/:userId', {
    schema: {
      operationId: 'ban',
      tags,
      security,
      summary: 'Ban a user: a member is removed (admins ban plain members only), anyone else cannot join or use an invite (groups and channels; owner or admin)',
      params: MemberIdParams,
      response: { 204: Type.Null(), ...errors }
    }
  }, async (request, reply) => {
    await bans.ban(request.userId, request.params.id, request.params.userId)
    return await reply.status(204).send(null)
  })

  app.delete('/groups/:id/bans/:userId', {
    schema: { operationId: 'unban', tags, security, summary: 'Lift a ban (groups and channels; owner or admin)', params: MemberIdParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await bans.unban(request.userId, request.params.id, request.params.userId)
    return await reply.status(204).send(null)
  })

  app.get('/invites/:code', {
    config: { rateLimit: inviteRateLimit },
    schema: { operationId: 'previewInvite', tags, security, summary: 'What an invite code leads to (any signed-in user)', params: InviteParams, response: { 200: InvitePreview, ...errors, 429: ErrorSchema } }
  }, async (request) => await invites.preview(request.params.code))

  app.post('/invites/:code/join', {
    config: { rateLimit: inviteRateLimit },
    schema: { operationId: 'joinByInvite', tags, security, summary: 'Join a group with an invite code; already a member: the group', params: InviteParams, response: { 200: Conversation, ...errors, 429: ErrorSchema } }
  }, async (request) => await invites.join(request.userId, request.params.code))
}
export default groupRoutes
