import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError, Errors, unauthorized } from '../../lib/errors.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { isSuspended } from '../../lib/suspension.js'
import { createAdminService, writeAudit } from '../admin/index.js'
import { authServicesOf } from '../auth/index.js'
import { Conversation, IdParams, Message } from '../conversations/index.js'
import { createServerKeyService, requireScope, type ServerCaller } from './key-service.js'
import type { Scope } from './keys.js'
import { ExternalIdParams, ServerChannelBody, ServerFriendsBody, ServerGroupBody, ServerMembersBody, ServerNoticeBody, ServerSendBody, ServerSuspendBody, ServerTokensSchema, ServerUserSchema, UpsertUserBody, UsersPageQuery } from './schemas.js'
import { createExternalUsers } from './users.js'
import { createAppNotices } from './notices.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The server key behind `Authorization: Server <key>` (server-API routes only). */
    serverCaller: ServerCaller | null
  }
  interface FastifyContextConfig {
    /** The scope a server-API route needs. */
    serverScope?: Scope
  }
}

const tags = ['Server API']
const security = [{ server: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 429: ErrorSchema }

/**
 * Registered under /api/server: for app backends, never browsers. A key goes in the
 * Authorization header only (`Server rsk_…`); anything else, a key in the query string
 * included, is UNAUTHORIZED. The key and then its scope are checked at onRequest, so a
 * caller without them learns nothing of a route's schema; every request of a key then
 * counts against its rate limit (shared by every node with Redis).
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const keys = createServerKeyService(app.prisma)
  const users = createExternalUsers(app.prisma)
  const { auth } = authServicesOf(app)
  const endSessions = async (userId: string, atMs: number): Promise<void> => { await app.realtime.endSessions(userId, atMs) }
  const notice = createAppNotices({ prisma: app.prisma, sql: app.sql, conversations: app.conversationsDeps })
  const moderation = createAdminService({ prisma: app.prisma, endSessions, delivery: app.delivery, readMessage: async () => undefined })

  app.decorateRequest('serverCaller', null)
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    const match = typeof header === 'string' ? /^Server (\S+)$/i.exec(header) : null
    if (match?.[1] === undefined) throw unauthorized('Missing or invalid server key (Authorization: Server <key>)')
    request.serverCaller = await keys.verify(match[1]).catch((err: unknown) => { throw err instanceof AppError ? unauthorized('Missing or invalid server key (Authorization: Server <key>)') : err })
    const scope = request.routeOptions.config.serverScope
    if (scope !== undefined) requireScope(request.serverCaller, scope)
  })

  const caller = (request: FastifyRequest): ServerCaller => request.serverCaller as ServerCaller
  const rateLimit = {
    max: config.SERVER_API_RATE_LIMIT_MAX,
    timeWindow: config.SERVER_API_RATE_LIMIT_WINDOW_MS,
    keyGenerator: (request: FastifyRequest) => `server:${request.serverCaller?.keyId ?? request.ip}`
  }
  const scoped = (serverScope: Scope) => ({ serverScope, rateLimit })

  /** A user the app acts as: active, or NOT_FOUND / FORBIDDEN "Suspended". */
  async function actor (externalId: string): Promise<string> {
    const id = await users.idOf(externalId)
    const row = await app.prisma.user.findUnique({ where: { id }, select: { suspendedAt: true, suspendedUntil: true } })
    if (row !== null && isSuspended(row)) throw Errors.suspended()
    return id
  }
  /** A group's or channel's owner, who the app acts as for its membership. */
  async function ownerOf (conversationId: string): Promise<string> {
    const owner = await app.prisma.conversationMember.findFirst({ where: { conversationId, role: 'owner', conversation: { type: { in: ['group', 'channel'] } } }, select: { userId: true } })
    if (owner === null) throw Errors.conversationNotFound()
    return owner.userId
  }

  // ---- users -------------------------------------------------------------------------------

  app.put('/users/:externalId', {
    config: scoped('users'),
    schema: { tags, security, operationId: 'serverUpsertUser', summary: 'Create or update a user by the app\'s own id (201 created, 200 updated)', params: ExternalIdParams, body: UpsertUserBody, response: { 200: ServerUserSchema, 201: ServerUserSchema, ...errors } }
  }, async (request, reply) => {
    const { user, created } = await users.upsert(request.params.externalId, request.body)
    return await reply.status(created ? 201 : 200).send(user)
  })

  app.get('/users', {
    config: scoped('users'),
    schema: { tags, security, operationId: 'serverListUsers', summary: 'The app\'s users by external id (next page: ?after= the x-next-cursor header)', querystring: UsersPageQuery, response: { 200: Type.Array(ServerUserSchema), ...errors } }
  }, async (request, reply) => {
    const page = await users.list(request.query.limit ?? 50, request.query.after)
    if (page.next !== null) void reply.header('x-next-cursor', page.next)
    return page.items
  })

  app.get('/users/:externalId', {
    config: scoped('users'),
    schema: { tags, security, operationId: 'serverGetUser', summary: 'Look a user up by external id', params: ExternalIdParams, response: { 200: ServerUserSchema, ...errors } }
  }, async (request) => await users.get(request.params.externalId))

  app.post('/users/:externalId/tokens', {
    config: scoped('users'),
    schema: { tags, security, operationId: 'serverMintTokens', summary: 'A new session for the user: access and refresh token, as login returns (audited)', params: ExternalIdParams, response: { 200: ServerTokensSchema, ...errors } }
  }, async (request) => {
    const id = await users.idOf(request.params.externalId)
    const tokens = await auth.mintTokens(id)
    await app.prisma.$transaction(async (tx) => { await writeAudit(tx, { actorId: null, action: 'user.token', targetType: 'user', targetId: id, details: { serverKeyId: caller(request).keyId } }) })
    return { ...tokens, user: await users.byId(id) }
  })

  app.delete('/users/:externalId', {
    config: scoped('users'),
    schema: { tags, security, operationId: 'serverDeleteUser', summary: 'Delete the user as account deletion does (messages stay from "Deleted user"); the external id is free again', params: ExternalIdParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    const id = await users.idOf(request.params.externalId)
    await app.account.erase(id)
    await users.release(id)
    await endSessions(id, Date.now())
    return await reply.status(204).send(null)
  })

  app.post('/users/:externalId/suspend', {
    config: scoped('moderation'),
    schema: { tags, security, operationId: 'serverSuspendUser', summary: 'Suspend the user: sessions cut on every node, tokens and sends refused (audited)', params: ExternalIdParams, body: ServerSuspendBody, response: { 200: ServerUserSchema, ...errors } }
  }, async (request) => {
    const id = await users.idOf(request.params.externalId)
    await moderation.suspend(null, id, request.body.reason, undefined, { serverKeyId: caller(request).keyId })
    return await users.byId(id)
  })

  app.post('/users/:externalId/unsuspend', {
    config: scoped('moderation'),
    schema: { tags, security, operationId: 'serverUnsuspendUser', summary: 'Lift the user\'s suspension (audited)', params: ExternalIdParams, response: { 200: ServerUserSchema, ...errors } }
  }, async (request) => {
    const id = await users.idOf(request.params.externalId)
    await moderation.unsuspend(null, id, { serverKeyId: caller(request).keyId })
    return await users.byId(id)
  })

  app.post('/friends', {
    config: scoped('users'),
    schema: { tags, security, operationId: 'serverMakeFriends', summary: 'Make two users friends (a request from a, accepted by b; both told as usual)', body: ServerFriendsBody, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    const a = await actor(request.body.a)
    const b = await actor(request.body.b)
    const first = await app.friends.sendRequest(a, b)
    if (!first.accepted) await app.friends.accept(b, first.request.id)
    return await reply.status(204).send(null)
  })

  // ---- conversations -----------------------------------------------------------------------

  app.post('/groups', {
    config: scoped('conversations'),
    schema: { tags, security, operationId: 'serverCreateGroup', summary: 'Create a group owned by a user, with members (by external id)', body: ServerGroupBody, response: { 201: Conversation, ...errors } }
  }, async (request, reply) => {
    const owner = await actor(request.body.owner)
    const memberIds = await users.idsOf(request.body.members)
    return await reply.status(201).send(await app.groups.create(owner, { name: request.body.name, memberIds: memberIds.filter((id) => id !== owner) }))
  })

  app.post('/channels', {
    config: scoped('conversations'),
    schema: { tags, security, operationId: 'serverCreateChannel', summary: 'Create a public channel owned by a user (as POST /api/channels), whose members (by external id) then join it (as POST /api/channels/:id/join)', body: ServerChannelBody, response: { 201: Conversation, ...errors } }
  }, async (request, reply) => {
    const owner = await actor(request.body.owner)
    const memberIds = await users.idsOf(request.body.members)
    const channel = await app.channels.create(owner, { name: request.body.name, topic: request.body.topic })
    // Members join as they would themselves (the channel's member cap and bans apply).
    for (const id of memberIds) if (id !== owner) await app.channels.join(id, channel.id)
    return await reply.status(201).send(memberIds.some((id) => id !== owner) ? await app.conversations.view(channel.id, owner) : channel)
  })

  app.post('/groups/:id/members', {
    config: scoped('conversations'),
    schema: { tags, security, operationId: 'serverAddMembers', summary: 'Add members to a group or channel, as its owner', params: IdParams, body: ServerMembersBody, response: { 200: Conversation, ...errors } }
  }, async (request) => {
    const owner = await ownerOf(request.params.id)
    return await app.groups.addMembers(owner, request.params.id, await users.idsOf(request.body.members))
  })

  app.delete('/groups/:id/members/:externalId', {
    config: scoped('conversations'),
    schema: { tags, security, operationId: 'serverRemoveMember', summary: 'Remove a member from a group or channel, as its owner', params: Type.Object({ id: IdParams.properties.id, externalId: ExternalIdParams.properties.externalId }), response: { 200: Conversation, ...errors } }
  }, async (request) => {
    const owner = await ownerOf(request.params.id)
    return await app.groups.removeMember(owner, request.params.id, await users.idOf(request.params.externalId))
  })

  // ---- messages ----------------------------------------------------------------------------

  app.post('/conversations/:id/messages', {
    config: scoped('messages'),
    schema: { tags, security, operationId: 'serverSendMessage', summary: 'Send as a user (the send path every client uses: membership, before-send hook); 201 new, 200 the original for a repeated clientMsgId', params: IdParams, body: ServerSendBody, response: { 200: Message, 201: Message, ...errors } }
  }, async (request, reply) => {
    const sender = await actor(request.body.as)
    const { clientMsgId, type, content } = request.body
    const { message, created } = await app.messages.send(sender, request.params.id, { clientMsgId, type, content })
    return await reply.status(created ? 201 : 200).send(message)
  })

  app.post('/conversations/:id/system-messages', {
    config: scoped('messages'),
    schema: { tags, security, operationId: 'serverSystemMessage', summary: 'A system message from the app into any conversation (content {event: "app_notice", actorId, text}); 201 new, 200 the original for a repeated clientMsgId', params: IdParams, body: ServerNoticeBody, response: { 200: Message, 201: Message, ...errors } }
  }, async (request, reply) => {
    const { message, created } = await notice(request.params.id, request.body.clientMsgId, request.body.text)
    return await reply.status(created ? 201 : 200).send(message)
  })
}
export default routes
