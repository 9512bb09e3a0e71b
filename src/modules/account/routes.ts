import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Text } from '../../lib/text-schemas.js'
import { ErrorSchema } from '../../lib/error-schema.js'

const DeleteMeBody = Type.Object({ password: Text({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false })

/** The account's lifecycle: delete it, export its data. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { account } = app
  app.addHook('onRequest', app.authenticate)

  app.delete('/users/me', {
    schema: {
      tags: ['users'],
      security: [{ bearer: [] }],
      operationId: 'deleteMe',
      summary: 'Delete my account (password confirmed): sessions cut everywhere, profile erased, messages stay as from "Deleted user"',
      body: DeleteMeBody,
      response: { 204: Type.Null(), 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema }
    }
  }, async (request, reply) => {
    await account.deleteAccount(request.userId, request.body.password)
    return await reply.status(204).send(null)
  })

  app.get('/users/me/export', {
    schema: {
      tags: ['users'],
      security: [{ bearer: [] }],
      operationId: 'exportMe',
      summary: 'Export my data as JSON: profile, friends, conversations, my messages, uploads metadata',
      response: { 200: Type.Record(Type.String(), Type.Unknown()), 401: ErrorSchema }
    }
  }, async (request) => await account.exportData(request.userId))
}
export default routes
