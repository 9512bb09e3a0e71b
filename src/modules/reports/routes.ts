import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import { Reason, ReportSchema } from '../admin/index.js'
import { createReportsService } from './service.js'

const CreateReportBody = Type.Object({
  messageId: Type.Optional(Type.String({ format: 'uuid' })),
  userId: Type.Optional(Type.String({ format: 'uuid' })),
  reason: Reason
}, { additionalProperties: false })

/** POST /api/reports: any signed-in user reports a message or a user to the admins. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const reports = createReportsService(app.prisma)
  app.addHook('onRequest', app.authenticate)

  app.post('/reports', {
    schema: {
      tags: ['reports'],
      security: [{ bearer: [] }],
      operationId: 'createReport',
      summary: 'Report a message or a user (exactly one), visible to you; at most 10 per 10 minutes',
      body: CreateReportBody,
      response: { 201: ReportSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 429: ErrorSchema }
    }
  }, async (request, reply) => {
    const report = await reports.create(request.userId, request.body)
    return await reply.status(201).send(report)
  })
}
export default routes
