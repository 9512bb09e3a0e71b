import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import { SearchQuery, SearchResults } from './schemas.js'
import { createSearchService } from './service.js'

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema }

/** `GET /api/search/messages`: the caller's messages by English words or substrings. */
const searchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const service = createSearchService(app.sql)
  app.addHook('onRequest', app.authenticate)

  app.get('/search/messages', {
    schema: {
      operationId: 'searchMessages',
      summary: 'Search my messages, newest first',
      description: 'Text messages in conversations I am a member of, newest first; recalled, deleted-for-me and cleared ones never appear. The next page\'s cursor is in the x-next-cursor header.',
      tags: ['search'],
      security,
      querystring: SearchQuery,
      response: { 200: SearchResults, ...errors }
    }
  }, async (request, reply) => {
    const page = await service.messages(request.userId, request.query)
    if (page.nextCursor !== undefined) void reply.header('x-next-cursor', page.nextCursor)
    return page.hits
  })
}

export default searchRoutes
