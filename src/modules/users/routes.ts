import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Errors } from '../../lib/errors.js'
import { createUsersService } from './service.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { MeSchema, SearchQuery, UpdateMeBody, UserIdParams, UserSchema, UserWithPresenceSchema } from './schemas.js'

const security = [{ bearer: [] }]

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const users = createUsersService(app.prisma)
  app.addHook('onRequest', app.authenticate)

  app.get('/users/me', {
    schema: { operationId: 'getMe', summary: 'My profile', tags: ['users'], security, response: { 200: MeSchema, 401: ErrorSchema } }
  }, async (request) => {
    // A valid token for a deleted account is as good as no token.
    const me = await users.findMe(request.userId)
    if (me === null) throw Errors.invalidToken()
    return me
  })

  app.patch('/users/me', {
    schema: {
      operationId: 'updateMe',
      summary: 'Update my display name, avatar or who sees my presence',
      description: '`presenceVisibility`: who sees whether I am online and when I was last seen: `everyone`, `contacts` (friends; the default) or `nobody`. Friends are told at once.',
      tags: ['users'],
      security,
      body: UpdateMeBody,
      response: { 200: MeSchema, 400: ErrorSchema, 401: ErrorSchema }
    }
  }, async (request) => {
    const before = request.body.presenceVisibility === undefined ? undefined : await users.findMe(request.userId)
    const me = await users.updateProfile(request.userId, request.body)
    if (me === null) throw Errors.invalidToken()
    if (before !== undefined && before !== null && before.presenceVisibility !== me.presenceVisibility) await app.presence.republish(request.userId)
    return me
  })

  app.get('/users', {
    schema: {
      operationId: 'searchUsers',
      summary: 'Search users by username prefix',
      tags: ['users'],
      security,
      description: 'Case-insensitive username prefix search; public fields only.',
      querystring: SearchQuery,
      response: { 200: Type.Array(UserSchema), 400: ErrorSchema, 401: ErrorSchema }
    }
  }, async (request) => {
    return await users.search(request.query.q, request.query.limit ?? 20)
  })

  app.get('/users/:id', {
    schema: { operationId: 'getUser', summary: 'A user, with presence', tags: ['users'], security, params: UserIdParams, response: { 200: UserWithPresenceSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema } }
  }, async (request) => {
    const user = await users.findById(request.params.id)
    if (user === null) throw Errors.userNotFound()
    // Only what the caller may see of it (presence/visibility.ts): friends by default.
    const presence = (await app.presence.statusFor(request.userId, [user.id])).get(user.id) ?? { online: false, lastSeenAt: null }
    return { ...user, presence }
  })
}
export default routes
