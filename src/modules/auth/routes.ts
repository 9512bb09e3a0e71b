import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import { ChangePasswordBody, LoginBody, RefreshBody, RegisterBody, SecondFactorBody, SecondFactorChallengeSchema, SessionSchema, TokensSchema } from './schemas.js'
import { passkeyRoutes, passkeySignInRoutes } from './passkey-routes.js'
import { authServicesOf } from './services.js'
import { totpRoutes } from './totp-routes.js'
import { Errors } from '../../lib/errors.js'
import { createOidcService } from './oidc.js'
import { oidcAccountRoutes, oidcPublicRoutes } from './oidc-routes.js'

/** Registered under /api/auth. Every route is rate limited per client address. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const { auth, totp, passkeys } = authServicesOf(app)
  const rateLimit = { max: config.AUTH_RATE_LIMIT_MAX, timeWindow: config.AUTH_RATE_LIMIT_WINDOW_MS }
  const errors = { 400: ErrorSchema, 401: ErrorSchema, 429: ErrorSchema }

  app.post('/register', {
    config: { rateLimit },
    schema: { operationId: 'register', summary: 'Create an account and sign in', description: 'FORBIDDEN when PASSWORD_SIGNUP=false (sign-up through an OpenID Connect provider only).', security: [], tags: ['auth'], body: RegisterBody, response: { 201: SessionSchema, ...errors, 409: ErrorSchema } }
  }, async (request, reply) => {
    if (!config.PASSWORD_SIGNUP) throw Errors.passwordSignUpOff()
    const session = await auth.register(request.body)
    return await reply.status(201).send(session)
  })

  app.post('/login', {
    config: { rateLimit },
    schema: {
      operationId: 'login',
      summary: 'Sign in with username and password',
      description: 'A session; or, when the account has two-factor sign-in on, `{ secondFactor: { challenge, expiresAt, methods } }` for POST /auth/login/second-factor.',
      security: [],
      tags: ['auth'],
      body: LoginBody,
      response: { 200: Type.Union([SessionSchema, SecondFactorChallengeSchema]), ...errors }
    }
  }, async (request) => await auth.login(request.body))

  app.post('/login/second-factor', {
    config: { rateLimit },
    schema: {
      operationId: 'loginSecondFactor',
      summary: 'Finish signing in with a two-factor code',
      description: 'The challenge from POST /auth/login and a current TOTP code or an unused recovery code. A challenge is single use, expires after 5 minutes and is spent after 5 wrong codes; consecutive wrong codes also lock the account\'s factor for TOTP_LOCK_S (RATE_LIMITED).',
      security: [],
      tags: ['auth'],
      body: SecondFactorBody,
      response: { 200: SessionSchema, ...errors, 403: ErrorSchema }
    }
  }, async (request) => await auth.completeSecondFactor(request.body.challenge, request.body.code))

  passkeySignInRoutes(app, passkeys, auth, rateLimit)

  app.post('/refresh', {
    config: { rateLimit },
    schema: {
      operationId: 'refreshTokens',
      summary: 'Exchange a refresh token for new tokens',
      security: [],
      tags: ['auth'],
      description: 'Rotates the refresh token. Presenting it again within REFRESH_REUSE_GRACE_S of its rotation returns the same new refresh token (while that one is unused); any other reuse revokes the whole family.',
      body: RefreshBody,
      response: { 200: TokensSchema, ...errors }
    }
  }, async (request) => await auth.refresh(request.body.refreshToken))

  app.post('/logout', {
    config: { rateLimit },
    schema: { operationId: 'logout', summary: 'Sign out (revoke the session)', security: [], tags: ['auth'], description: 'Revokes the session (token family); 204 even for an unknown token.', body: RefreshBody, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await auth.logout(request.body.refreshToken)
    return await reply.status(204).send(null)
  })

  const oidc = createOidcService(app.prisma, {
    providers: config.oidcProviders,
    publicUrl: config.OIDC_PUBLIC_URL ?? '',
    newAccounts: config.OIDC_NEW_ACCOUNTS,
    flowTtlS: config.OIDC_FLOW_TTL_S,
    secret: config.JWT_SECRET,
    allowedHosts: config.outboundAllowedHosts,
    signIn: auth.signInVerified,
    log: app.log
  })
  app.addHook('onClose', async () => { oidc.close() })
  oidcPublicRoutes(app, oidc, { rateLimit, passwordSignUp: config.PASSWORD_SIGNUP, publicUrl: config.OIDC_PUBLIC_URL ?? '' })

  // The authenticated routes, in their own scope so the hook cannot reach the public ones.
  const authenticated: FastifyPluginAsyncTypebox = async (authed) => {
    authed.addHook('onRequest', app.authenticate)

    authed.post('/password', {
      config: { rateLimit },
      schema: {
        operationId: 'changePassword',
        summary: 'Change my password and end every session',
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

    totpRoutes(authed, totp, rateLimit)
    passkeyRoutes(authed, passkeys, rateLimit)
    oidcAccountRoutes(authed, oidc, rateLimit)
  }
  await app.register(authenticated)
}
export default routes
