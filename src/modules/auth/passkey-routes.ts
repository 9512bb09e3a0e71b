import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import { Type } from 'typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import { Errors, forbidden } from '../../lib/errors.js'
import { verifyPassword } from '../../lib/password.js'
import {
  CreationOptionsSchema, PasskeyIdParams, PasskeyRegistrationOptionsBody, PasskeyRegisterBody, PasskeyRemoveBody, PasskeyRenameBody, PasskeySchema,
  PasskeySignInBody, PasskeySignInOptionsBody, RequestOptionsSchema
} from './passkey-schemas.js'
import type { PasskeyService, RelyingParty } from './passkey.js'
import { SecondFactorChallengeSchema, SessionSchema } from './schemas.js'
import type { AuthService } from './service.js'

type RateLimit = { max: number, timeWindow: number }
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 429: ErrorSchema }
const mine = { tags: ['auth'], security: [{ bearer: [] }] }

/**
 * The relying party a request's passkeys belong to: WEBAUTHN_RP_ID / WEBAUTHN_ORIGINS when set,
 * else the request's own host and origin (what the page was loaded from; with TRUST_PROXY the
 * forwarded ones).
 */
function relyingPartyOf (app: FastifyInstance, request: FastifyRequest): RelyingParty {
  return app.config.webauthn ?? { id: request.hostname, origins: [`${request.protocol}://${request.host}`] }
}

/** The signed-in user's passkeys, under /api/auth/passkeys (the caller registers this in an authenticated scope). */
export function passkeyRoutes (authed: FastifyInstance, passkeys: PasskeyService, rateLimit: RateLimit): void {
  const app = authed.withTypeProvider<TypeBoxTypeProvider>()

  app.post('/passkeys/register/options', {
    config: { rateLimit },
    schema: {
      ...mine,
      operationId: 'passkeyRegistrationOptions',
      summary: 'Start adding a passkey: options for navigator.credentials.create()',
      description: 'Body `{}`. A new challenge (single use, bound to me, expiring after 2 minutes), my passkeys to exclude, a discoverable credential asked for, user verification preferred. CONFLICT at 20 passkeys.',
      body: PasskeyRegistrationOptionsBody,
      response: { 200: CreationOptionsSchema, ...errors, 409: ErrorSchema }
    }
  }, async (request) => await passkeys.registrationOptions(request.userId, relyingPartyOf(app, request)))

  app.post('/passkeys/register', {
    config: { rateLimit },
    schema: {
      ...mine,
      operationId: 'registerPasskey',
      summary: 'Finish adding a passkey',
      description: 'The authenticator\'s answer to my registration challenge, and a name for the passkey (default "Passkey"). UNAUTHORIZED for a challenge that is not mine, used, expired, or a response that does not verify (wrong origin or relying party id); CONFLICT for a credential already registered (to anyone).',
      body: PasskeyRegisterBody,
      response: { 201: PasskeySchema, ...errors, 409: ErrorSchema }
    }
  }, async (request, reply) => {
    const created = await passkeys.register(request.userId, relyingPartyOf(app, request), request.body.response as RegistrationResponseJSON, request.body.name)
    return await reply.status(201).send(created)
  })

  app.get('/passkeys', {
    config: { rateLimit },
    schema: { ...mine, operationId: 'listPasskeys', summary: 'My passkeys', response: { 200: Type.Array(PasskeySchema), ...errors } }
  }, async (request) => await passkeys.list(request.userId))

  app.patch('/passkeys/:id', {
    config: { rateLimit },
    schema: { ...mine, operationId: 'renamePasskey', summary: 'Rename one of my passkeys', params: PasskeyIdParams, body: PasskeyRenameBody, response: { 200: PasskeySchema, ...errors, 404: ErrorSchema } }
  }, async (request) => await passkeys.rename(request.userId, request.params.id, request.body.name))

  app.delete('/passkeys/:id', {
    config: { rateLimit },
    schema: {
      ...mine,
      operationId: 'removePasskey',
      summary: 'Remove one of my passkeys',
      description: 'Takes my current password (FORBIDDEN when wrong): a session alone cannot remove a way to sign in. NOT_FOUND for a passkey that is not mine.',
      params: PasskeyIdParams,
      body: PasskeyRemoveBody,
      response: { 204: Type.Null(), ...errors, 404: ErrorSchema }
    }
  }, async (request, reply) => {
    const user = await app.prisma.user.findUnique({ where: { id: request.userId }, select: { passwordHash: true } })
    if (user === null) throw Errors.invalidToken()
    if (!await verifyPassword(request.body.password, user.passwordHash)) throw forbidden('Current password is incorrect')
    await passkeys.remove(request.userId, request.params.id)
    return await reply.status(204).send(null)
  })
}

/** Signing in with a passkey, under /api/auth/login/passkey: public routes. */
export function passkeySignInRoutes (publicScope: FastifyInstance, passkeys: PasskeyService, auth: AuthService, rateLimit: RateLimit): void {
  const app = publicScope.withTypeProvider<TypeBoxTypeProvider>()

  app.post('/login/passkey/options', {
    config: { rateLimit },
    schema: {
      operationId: 'passkeySignInOptions',
      summary: 'Start signing in with a passkey: options for navigator.credentials.get()',
      description: 'Without a username: any passkey of this site the browser holds (usernameless). With one: that account\'s passkeys; an unknown username gets an answer of the same shape. The challenge is single use and expires after 2 minutes.',
      security: [],
      tags: ['auth'],
      body: PasskeySignInOptionsBody,
      response: { 200: RequestOptionsSchema, ...errors }
    }
  }, async (request) => await passkeys.authenticationOptions(relyingPartyOf(app, request), request.body.username))

  app.post('/login/passkey', {
    config: { rateLimit },
    schema: {
      operationId: 'signInWithPasskey',
      summary: 'Sign in with a passkey',
      description: 'The authenticator\'s answer to a sign-in challenge. A session; a passkey the authenticator unlocked with user verification (PIN, biometrics) counts as two factors, so an account with TOTP on signs in without a code. Without user verification such an account gets `{ secondFactor }` as POST /auth/login does. UNAUTHORIZED for an unknown, removed or someone else\'s passkey, a used or expired challenge, a response that does not verify (origin, relying party id, signature, a signature counter that went backwards).',
      security: [],
      tags: ['auth'],
      body: PasskeySignInBody,
      response: { 200: Type.Union([SessionSchema, SecondFactorChallengeSchema]), ...errors }
    }
  }, async (request) => {
    const proved = await passkeys.authenticate(relyingPartyOf(app, request), request.body.response as AuthenticationResponseJSON)
    return await auth.signInVerified(proved.userId, { twoFactors: proved.userVerified })
  })
}
