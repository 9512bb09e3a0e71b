import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Errors } from '../../lib/errors.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { AdminUserSchema, AuditEntrySchema, AuditQuery, IdParams, RemoveMessageQuery, ReportSchema, ReportsQuery, SuspendBody, UsersQuery } from './schemas.js'
import { createAdminService } from './service.js'
import { endOwnedBotSessions } from '../bots/index.js'
import { MESSAGE_BY_ID_SQL, toMessage, type MessageRow } from '../conversations/index.js'

const tags = ['admin']
const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema }

/**
 * Registered under /api/admin: one scope, signed in and admin. The admin check runs at
 * onRequest, right after authentication, so a non-admin gets FORBIDDEN whatever the input
 * (at preHandler, a bad body would answer VALIDATION first and reveal the route's schema).
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = createAdminService({
    prisma: app.prisma,
    endSessions: async (userId, atMs) => {
      await app.realtime.endSessions(userId, atMs)
      // A suspended owner's bots stop too (their tokens are refused while the owner is suspended).
      await endOwnedBotSessions(app.prisma, app.realtime.endSessions, userId, atMs)
    },
    delivery: app.delivery,
    readMessage: async (messageId) => {
      const rows = await app.sql.query<MessageRow>(MESSAGE_BY_ID_SQL, [messageId], 'message_by_id')
      return rows[0] === undefined ? undefined : toMessage(rows[0])
    }
  })
  app.addHook('onRequest', app.authenticate)
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.userRole !== 'admin') throw Errors.adminOnly()
  })

  app.get('/users', {
    schema: { tags, security, operationId: 'adminListUsers', summary: 'Find users by username prefix (all when q is empty), with role and suspension', querystring: UsersQuery, response: { 200: Type.Array(AdminUserSchema), ...errors } }
  }, async (request) => await admin.listUsers(request.query.q, request.query.limit ?? 50))

  app.post('/users/:id/suspend', {
    schema: {
      tags,
      security,
      operationId: 'suspendUser',
      summary: 'Suspend a user: every session cut on every node; login, refresh and tokens refused (FORBIDDEN "Suspended")',
      params: IdParams,
      body: SuspendBody,
      response: { 200: AdminUserSchema, ...errors, 404: ErrorSchema, 409: ErrorSchema }
    }
  }, async (request) => await admin.suspend(request.userId, request.params.id, request.body.reason, request.body.until))

  app.post('/users/:id/unsuspend', {
    schema: { tags, security, operationId: 'unsuspendUser', summary: 'Lift a suspension', params: IdParams, response: { 200: AdminUserSchema, ...errors, 404: ErrorSchema } }
  }, async (request) => await admin.unsuspend(request.userId, request.params.id))

  app.delete('/messages/:id', {
    schema: { tags, security, operationId: 'removeMessage', summary: 'Remove a message\'s content for everyone (members get message:recalled)', params: IdParams, querystring: RemoveMessageQuery, response: { 204: Type.Null(), ...errors, 404: ErrorSchema } }
  }, async (request, reply) => {
    await admin.removeMessage(request.userId, request.params.id, request.query.reason)
    return await reply.status(204).send(null)
  })

  app.get('/reports', {
    schema: { tags, security, operationId: 'listReports', summary: 'User reports, newest first (keyset: next cursor in x-next-cursor)', querystring: ReportsQuery, response: { 200: Type.Array(ReportSchema), ...errors } }
  }, async (request, reply) => {
    const page = await admin.listReports(request.query.limit ?? 50, request.query.cursor)
    if (page.nextCursor !== null) void reply.header('x-next-cursor', page.nextCursor)
    return page.items
  })

  app.get('/audit', {
    schema: { tags, security, operationId: 'listAuditLog', summary: 'Every admin action (actor, action, target, reason, time), newest first (keyset: x-next-cursor)', querystring: AuditQuery, response: { 200: Type.Array(AuditEntrySchema), ...errors } }
  }, async (request, reply) => {
    const page = await admin.listAudit(request.query.limit ?? 50, request.query.cursor)
    if (page.nextCursor !== null) void reply.header('x-next-cursor', page.nextCursor)
    return page.items
  })
}
export default routes
