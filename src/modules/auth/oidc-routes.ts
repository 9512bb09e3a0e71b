import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import { forbidden } from '../../lib/errors.js'
import { OidcCallbackError, type OidcService } from './oidc.js'
import { OidcCallbackQuery, OidcExchangeBody, OidcIdentitiesSchema, OidcProvidersSchema, OidcStartQuery, OidcStartSchema, ProviderParams } from './oidc-schemas.js'
import { SecondFactorChallengeSchema, SessionSchema } from './schemas.js'

type RateLimit = { max: number, timeWindow: number }
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 429: ErrorSchema, 503: ErrorSchema }
const tags = ['auth']

/**
 * OpenID Connect sign-in, the public half (under /api/auth): the provider list, starting a
 * sign-in, the provider's callback and the page's exchange of the one-time code. Every route
 * is rate limited per client address.
 */
export function oidcPublicRoutes (scope: FastifyInstance, oidc: OidcService, opts: { rateLimit: RateLimit, passwordSignUp: boolean, publicUrl: string }): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>()
  const { rateLimit } = opts
  const page = `${opts.publicUrl.replace(/\/$/, '')}/`

  app.get('/oidc/providers', {
    config: { rateLimit },
    schema: { operationId: 'oidcProviders', summary: 'The OpenID Connect providers to sign in with, and whether password sign-up is on', security: [], tags, response: { 200: OidcProvidersSchema, 429: ErrorSchema } }
  }, async () => ({ providers: oidc.providers(), passwordSignUp: opts.passwordSignUp }))

  app.get('/oidc/:provider/start', {
    config: { rateLimit },
    schema: {
      operationId: 'oidcStart',
      summary: 'Start signing in with an OpenID Connect provider',
      description: 'Returns `{ url }`, the provider\'s authorization URL (or, with `redirect=true`, a 302 to it). The state behind it is single use and expires after OIDC_FLOW_TTL_S. NOT_FOUND for an unknown provider; INTERNAL 503 when the provider cannot be discovered.',
      security: [],
      tags,
      params: ProviderParams,
      querystring: OidcStartQuery,
      response: { 200: OidcStartSchema, 302: Type.Null(), ...errors }
    }
  }, async (request, reply) => {
    const { url } = await oidc.start(request.params.provider)
    void reply.header('cache-control', 'no-store')
    if (request.query.redirect === true) return await reply.redirect(url, 302)
    return { url }
  })

  app.get('/oidc/:provider/callback', {
    config: { rateLimit },
    // Not in the OpenAPI document (like /healthz): no client calls it, the provider sends the
    // browser here, and it only ever redirects. Its contract is docs/protocol.md's; its schemas'
    // text kinds are checked by test/security/text-kinds.test.ts directly.
    schema: {
      hide: true,
      operationId: 'oidcCallback',
      summary: 'Where the provider sends the browser back (not called by clients)',
      description: 'Always a 302 to the page: `/#oidc=<one-time code>` for POST /auth/oidc/exchange; `/#oidc-linked=<provider>` after linking; `/#oidc-error=<error code>&oidc-reason=<reason>` on failure (reasons: state, denied, provider, unavailable, not_linked, linked_elsewhere, already_linked). Nothing secret is put in a query string the server logs.',
      security: [],
      tags,
      params: ProviderParams,
      querystring: OidcCallbackQuery,
      response: { 302: Type.Null(), ...errors }
    }
  }, async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : ''
    let fragment: string
    try {
      const result = await oidc.callback(request.params.provider, query)
      fragment = result.kind === 'signIn' ? `oidc=${result.code}` : `oidc-linked=${encodeURIComponent(result.provider)}`
    } catch (err) {
      if (!(err instanceof OidcCallbackError)) throw err
      fragment = `oidc-error=${err.error.code}&oidc-reason=${err.reason}`
    }
    void reply.header('cache-control', 'no-store')
    return await reply.redirect(`${page}#${fragment}`, 302)
  })

  app.post('/oidc/exchange', {
    config: { rateLimit },
    schema: {
      operationId: 'oidcExchange',
      summary: 'Exchange the one-time code of an OpenID Connect sign-in for a session',
      description: 'The code from the page URL\'s fragment; single use, 60 s. A session, or (two-factor on) `{ secondFactor }` for POST /auth/login/second-factor, as POST /auth/login answers.',
      security: [],
      tags,
      body: OidcExchangeBody,
      response: { 200: Type.Union([SessionSchema, SecondFactorChallengeSchema]), ...errors }
    }
  }, async (request) => await oidc.exchange(request.body.code))
}

/** The signed-in user's links (the caller registers this in an authenticated scope). Bots have none. */
export function oidcAccountRoutes (authed: FastifyInstance, oidc: OidcService, rateLimit: RateLimit): void {
  const app = authed.withTypeProvider<TypeBoxTypeProvider>()
  const security = [{ bearer: [] }]
  const noBots = async (request: { isBot: boolean }): Promise<void> => {
    if (request.isBot) throw forbidden('Bots do not sign in with a provider')
  }

  app.get('/oidc/identities', {
    config: { rateLimit },
    schema: { operationId: 'oidcIdentities', summary: 'My linked OpenID Connect providers', security, tags, response: { 200: OidcIdentitiesSchema, ...errors } }
  }, async (request) => await oidc.identities(request.userId))

  app.post('/oidc/:provider/link', {
    config: { rateLimit },
    preHandler: noBots,
    schema: {
      operationId: 'oidcLinkStart',
      summary: 'Start linking an OpenID Connect provider to my account',
      description: 'Returns `{ url }`: send the browser there; the callback links the provider account to the user who started it and redirects to `/#oidc-linked=<provider>` (CONFLICT reasons linked_elsewhere, already_linked otherwise).',
      security,
      tags,
      params: ProviderParams,
      response: { 200: OidcStartSchema, ...errors }
    }
  }, async (request) => await oidc.start(request.params.provider, request.userId))

  app.delete('/oidc/:provider/link', {
    config: { rateLimit },
    preHandler: noBots,
    schema: {
      operationId: 'oidcUnlink',
      summary: 'Unlink an OpenID Connect provider from my account',
      description: 'CONFLICT when it is the account\'s last way to sign in (no password and no other provider); NOT_FOUND when not linked.',
      security,
      tags,
      params: ProviderParams,
      response: { 204: Type.Null(), ...errors, 409: ErrorSchema }
    }
  }, async (request, reply) => {
    await oidc.unlink(request.userId, request.params.provider)
    return await reply.status(204).send(null)
  })
}

