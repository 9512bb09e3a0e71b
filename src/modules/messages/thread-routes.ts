import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import { IdParams } from '../conversations/index.js'
import { FollowBody, HistoryQuery, ReadBody, ThreadListQuery, ThreadMessagePage, ThreadPage, ThreadParams, ThreadState } from './schemas.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }
const tags = ['threads']

/** Threads' REST routes (docs/protocol.md, "Threads"); replies are sent with `threadRootId` on the send route or event. */
export const threadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { threads } = app

  app.get('/conversations/:id/threads', {
    schema: {
      operationId: 'listThreads',
      summary: 'The conversation\'s threads, latest reply first, with my state of each',
      tags,
      security,
      description: 'Keyset paging: ?before= the previous page\'s nextBefore',
      params: IdParams,
      querystring: ThreadListQuery,
      response: { 200: ThreadPage, ...errors }
    }
  }, async (request) => await threads.list(request.userId, request.params.id, request.query))

  app.get('/conversations/:id/threads/:rootId', {
    schema: { operationId: 'getThread', summary: 'My state of one thread and its summary', tags, security, params: ThreadParams, response: { 200: ThreadState, ...errors } }
  }, async (request) => await threads.state(request.userId, request.params.id, request.params.rootId))

  app.get('/conversations/:id/threads/:rootId/messages', {
    schema: {
      operationId: 'listThreadMessages',
      summary: 'A thread\'s replies, paged by seq, with its root',
      tags,
      security,
      description: '?before=seq (newest first) or ?after=seq (oldest first); neither: the latest, newest first',
      params: ThreadParams,
      querystring: HistoryQuery,
      response: { 200: ThreadMessagePage, ...errors }
    }
  }, async (request) => await threads.messages(request.userId, request.params.id, request.params.rootId, request.query))

  app.put('/conversations/:id/threads/:rootId/follow', {
    schema: { operationId: 'followThread', summary: 'Follow or unfollow a thread', tags, security, params: ThreadParams, body: FollowBody, response: { 200: ThreadState, ...errors } }
  }, async (request) => await threads.follow(request.userId, request.params.id, request.params.rootId, request.body.following))

  app.post('/conversations/:id/threads/:rootId/read', {
    schema: { operationId: 'markThreadRead', summary: 'Mark a thread read up to a seq', tags, security, params: ThreadParams, body: ReadBody, response: { 200: ThreadState, ...errors } }
  }, async (request) => await threads.markRead(request.userId, request.params.id, request.params.rootId, request.body.seq))
}
