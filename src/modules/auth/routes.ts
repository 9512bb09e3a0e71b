import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorSchema } from '../users/schemas.js'
import { ChangePasswordBody, LoginBody, RefreshBody, RegisterBody, SessionSchema, TokensSchema } from './schemas.js'
import { createAuthService } from './service.js'

/** Registered under /api/auth. Every route is rate limited per client address. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const auth = createAuthService(app.prisma, {
    scryptLogN: config.SCRYPT_LOG_N,
    refreshTokenTtlS: config.REFRESH_TOKEN_TTL_S,
    signAccessToken: app.signAccessToken
  })
  const rateLimit = { max: config.AUTH_RATE_LIMIT_MAX, timeWindow: config.AUTH_RATE_LIMIT_WINDOW_MS }
  const errors = { 400: ErrorSchema, 401: ErrorSchema, 429: ErrorSchema }

  app.post('/register', {
    config: { rateLimit },
    schema: { tags: ['auth'], body: RegisterBody, response: { 201: SessionSchema, ...errors, 409: ErrorSchema } }
  }, async (request, reply) => {
    const session = await auth.register(request.body)
    return await reply.status(201).send(session)
  })

  app.post('/login', {
    config: { rateLimit },
    schema: { tags: ['auth'], body: LoginBody, response: { 200: SessionSchema, ...errors } }
  }, async (request) => await auth.login(request.body))

  app.post('/refresh', {
    config: { rateLimit },
    schema: {
      tags: ['auth'],
      description: 'Rotates the refresh token. Presenting an already used token revokes its whole family.',
      body: RefreshBody,
      response: { 200: TokensSchema, ...errors }
    }
  }, async (request) => await auth.refresh(request.body.refreshToken))

  app.post('/logout', {
    config: { rateLimit },
    schema: { tags: ['auth'], description: 'Revokes the session (token family); 204 even for an unknown token.', body: RefreshBody, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await auth.logout(request.body.refreshToken)
    return await reply.status(204).send(null)
  })

  app.post('/password', {
    config: { rateLimit },
    onRequest: [app.authenticate],
    schema: {
      tags: ['auth'],
      security: [{ bearer: [] }],
      description: 'Changes the password and ends every session of the user on every node: refresh tokens are revoked, access tokens issued before the change are refused, live sockets are disconnected.',
      body: ChangePasswordBody,
      response: { 204: Type.Null(), ...errors, 403: ErrorSchema }
    }
  }, async (request, reply) => {
    const at = await auth.changePassword(request.userId, request.body.currentPassword, request.body.newPassword)
    await app.realtime.endSessions(request.userId, at.getTime())
    return await reply.status(204).send(null)
  })
}
export default routes
