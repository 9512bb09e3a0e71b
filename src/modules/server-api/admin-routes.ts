import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Errors } from '../../lib/errors.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { createServerKeyService } from './key-service.js'
import { CreateServerKeyBody, KeyIdParams, ServerKeyCreatedSchema, ServerKeySchema } from './schemas.js'

const tags = ['Server API']
const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema }

/** Registered under /api/admin: server keys, for platform admins (checked at onRequest, like the admin module's routes). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const keys = createServerKeyService(app.prisma)
  app.addHook('onRequest', app.authenticate)
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.userRole !== 'admin' || request.isBot) throw Errors.adminOnly()
  })

  app.post('/server-keys', {
    schema: { tags, security, operationId: 'createServerKey', summary: 'Create a server key for an app backend; the reply carries the key, shown only this once (audited)', body: CreateServerKeyBody, response: { 201: ServerKeyCreatedSchema, ...errors } }
  }, async (request, reply) => await reply.status(201).send(await keys.create(request.userId, request.body.name, request.body.scopes)))

  app.get('/server-keys', {
    schema: { tags, security, operationId: 'listServerKeys', summary: 'Every server key (never the key itself), newest first', response: { 200: Type.Array(ServerKeySchema), ...errors } }
  }, async () => await keys.list())

  app.delete('/server-keys/:id', {
    schema: { tags, security, operationId: 'revokeServerKey', summary: 'Revoke a server key: refused from its next request (audited)', params: KeyIdParams, response: { 200: ServerKeySchema, ...errors, 404: ErrorSchema } }
  }, async (request) => await keys.revoke(request.userId, request.params.id))
}
export default routes
