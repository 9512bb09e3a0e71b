import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { IdParams } from '../conversations/index.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { Scheduled, ScheduleBody, ScheduledEditBody, ScheduledList, ScheduledListQuery } from './schemas.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }
const tags = ['scheduled']

/** REST of scheduled messages (docs/protocol.md, "Scheduled messages"); each user sees and changes only their own. */
const scheduledRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { scheduled } = app
  app.addHook('onRequest', app.authenticate)

  app.post('/conversations/:id/scheduled', {
    schema: {
      operationId: 'scheduleMessage',
      summary: 'Schedule a message',
      tags,
      security,
      description: 'Sent once at sendAt (at least SCHEDULED_MIN_AHEAD_S, default 10 s, at most a year ahead) with its clientMsgId. 201 new; 200 with the original for a repeated clientMsgId.',
      params: IdParams,
      body: ScheduleBody,
      response: { 200: Scheduled, 201: Scheduled, ...errors }
    }
  }, async (request, reply) => {
    const { clientMsgId, type, content, sendAt, replyTo, mentions } = request.body
    const result = await scheduled.schedule(request.userId, request.params.id, { clientMsgId, type, content, sendAt, replyTo, mentions })
    return await reply.status(result.created ? 201 : 200).send(result.scheduled)
  })

  app.get('/scheduled', {
    schema: {
      operationId: 'listScheduled',
      summary: 'My scheduled messages not yet sent (failed ones included), soonest first',
      tags,
      security,
      querystring: ScheduledListQuery,
      response: { 200: ScheduledList, ...errors }
    }
  }, async (request) => await scheduled.list(request.userId, request.query.conversationId))

  app.patch('/scheduled/:id', {
    schema: {
      operationId: 'editScheduled',
      summary: 'Change a scheduled message\'s content or time (while it waits, or after it failed)',
      tags,
      security,
      params: IdParams,
      body: ScheduledEditBody,
      response: { 200: Scheduled, ...errors }
    }
  }, async (request) => await scheduled.edit(request.userId, request.params.id, request.body))

  app.delete('/scheduled/:id', {
    schema: {
      operationId: 'cancelScheduled',
      summary: 'Cancel a scheduled message (while it waits, or after it failed)',
      tags,
      security,
      params: IdParams,
      response: { 204: Type.Null(), ...errors }
    }
  }, async (request, reply) => {
    await scheduled.cancel(request.userId, request.params.id)
    return await reply.status(204).send(null)
  })
}

export default scheduledRoutes
