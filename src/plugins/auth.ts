import fp from 'fastify-plugin'
import jwt from '@fastify/jwt'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Errors } from '../lib/errors.js'

export interface AccessClaims { sub: string, typ: 'access' }

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessClaims
    user: AccessClaims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for routes that need a signed-in user; sets request.userId. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /** Verifies an access token (REST header or socket handshake); returns the user id. */
    verifyAccessToken: (token: string) => string
    signAccessToken: (userId: string) => string
  }
  interface FastifyRequest { userId: string }
}

const ALGORITHM = 'HS256'

/**
 * Access tokens: short-lived JWTs, HS256 pinned for both signing and verifying, so
 * `alg: none` and algorithm swaps are refused. Refresh tokens are opaque and live in the
 * auth module.
 */
export default fp(async (app) => {
  const { config } = app
  await app.register(jwt, {
    secret: config.JWT_SECRET,
    sign: { algorithm: ALGORITHM, expiresIn: config.ACCESS_TOKEN_TTL_S },
    verify: { algorithms: [ALGORITHM] }
  })

  const verifyAccessToken = (token: string): string => {
    let claims: AccessClaims
    try {
      claims = app.jwt.verify<AccessClaims>(token)
    } catch {
      throw Errors.invalidToken()
    }
    if (claims.typ !== 'access' || typeof claims.sub !== 'string') throw Errors.invalidToken()
    return claims.sub
  }

  app.decorateRequest('userId', '')
  app.decorate('verifyAccessToken', verifyAccessToken)
  app.decorate('signAccessToken', (userId: string) => app.jwt.sign({ sub: userId, typ: 'access' }))
  app.decorate('authenticate', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null
    if (match?.[1] === undefined) throw Errors.invalidToken()
    request.userId = verifyAccessToken(match[1])
  })
}, { name: 'auth', dependencies: ['config'] })
