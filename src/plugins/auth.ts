import fp from 'fastify-plugin'
import jwt from '@fastify/jwt'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Errors } from '../lib/errors.js'
import { TokenCutoffs } from '../lib/token-cutoffs.js'
import { isSuspended } from '../lib/suspension.js'
import { botTokenHash, BOT_TOKEN_RE } from '../lib/bot-token.js'
import type { AppTokens } from '../modules/server-api/index.js'

/**
 * `iatMs`: when the token was issued, in epoch milliseconds. The standard `iat` is whole
 * seconds, too coarse to tell a token issued just before a password change from one issued
 * just after it (a new login). Tokens without it fall back to `iat`.
 */
export interface AccessClaims { sub: string, typ: 'access', iat?: number, iatMs?: number, role?: PlatformRole }

/** The platform role; tokens without the claim (issued before roles existed) are 'user'. */
export type PlatformRole = 'user' | 'admin'

/** When an access token was issued (epoch ms), from its claims; 0 when it says nothing. */
export function issuedAtMs (claims: { iat?: unknown, iatMs?: unknown } | null | undefined): number {
  if (typeof claims?.iatMs === 'number') return claims.iatMs
  if (typeof claims?.iat === 'number') return claims.iat * 1000
  return 0
}

/** Access tokens of one user issued before a moment stop verifying (password change). */
export interface AccessTokenCutoffs {
  /** Records the cutoff on this node only; returns whether it was new. See realtime.endSessions for every node. */
  set: (userId: string, atMs: number) => boolean
  /** The user's current cutoff (epoch ms), if one still matters. */
  get: (userId: string) => number | undefined
  /** Reads the recent cutoffs from the database (at start, and after missing cluster messages). */
  reload: () => Promise<void>
}

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
    /** `role` goes into the token: a role change applies from the user's next token. */
    signAccessToken: (userId: string, role?: PlatformRole) => string
    accessTokenCutoffs: AccessTokenCutoffs
    /** Verifies a bot token (`Authorization: Bot <token>`): the bot's user id, or UNAUTHORIZED / FORBIDDEN "Suspended". */
    verifyBotToken: (token: string) => Promise<string>
    /** The app's own JWTs (APP_JWT_*; docs/protocol.md "Server API"); undefined when not configured. */
    appTokens: AppTokens | undefined
  }
  interface FastifyRequest {
    /** The caller authenticated with a bot token (set by authenticate). */
    isBot: boolean
    userId: string
    /** The platform role from the access token (set by authenticate). */
    userRole: PlatformRole
  }
}

const ALGORITHM = 'HS256'

/**
 * Verified access tokens kept in memory (fast-jwt's LRU, keyed by a SHA-256 of the token;
 * entries expire with the token), so a client's repeated requests skip the decode, the
 * claim checks and the HMAC: 40-70 us -> 14-19 us a verify on this machine. (A key of the
 * token itself would make it 0.2 us, but fast-jwt warns on every start about custom keys.)
 * Cutoffs (password change, suspension) are checked after verifying, cached or not.
 */
const VERIFY_CACHE_SIZE = 10_000

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
    verify: { algorithms: [ALGORITHM], cache: VERIFY_CACHE_SIZE }
  })

  /** The claims of a well-signed, unexpired access token, and whether a cutoff revoked it. */
  const readAccessToken = (token: string): { claims: AccessClaims, revoked: boolean } => {
    let claims: AccessClaims
    try {
      claims = app.jwt.verify<AccessClaims>(token)
    } catch {
      throw Errors.invalidToken()
    }
    if (claims.typ !== 'access' || typeof claims.sub !== 'string') throw Errors.invalidToken()
    return { claims, revoked: cutoffs.revoked(claims.sub, issuedAtMs(claims)) }
  }
  const verifyAccessToken = (token: string): string => {
    const { claims, revoked } = readAccessToken(token)
    if (revoked) throw Errors.invalidToken()
    return claims.sub
  }

  const ttlMs = config.ACCESS_TOKEN_TTL_S * 1000
  const cutoffs = new TokenCutoffs(ttlMs)
  const accessTokenCutoffs: AccessTokenCutoffs = {
    set: (userId, atMs) => cutoffs.set(userId, atMs),
    get: (userId) => cutoffs.get(userId),
    reload: async () => {
      const rows = await app.prisma.user.findMany({
        where: { tokensValidAfter: { gt: new Date(Date.now() - ttlMs) } },
        select: { id: true, tokensValidAfter: true }
      })
      for (const row of rows) if (row.tokensValidAfter !== null) cutoffs.set(row.id, row.tokensValidAfter.getTime())
    }
  }
  const pruner = setInterval(() => { cutoffs.prune() }, 60_000).unref()
  app.addHook('onReady', async () => { await accessTokenCutoffs.reload() })
  app.addHook('onClose', async () => { clearInterval(pruner) })

  /**
   * Bot tokens are opaque and looked up on every use (one indexed read), so deleting a bot,
   * rotating its token or suspending the bot or its owner applies to the next request.
   */
  const verifyBotToken = async (token: string): Promise<string> => {
    if (!BOT_TOKEN_RE.test(token)) throw Errors.invalidToken()
    const state = { deletedAt: true, suspendedAt: true, suspendedUntil: true } as const
    const bot = await app.prisma.bot.findUnique({
      where: { tokenHash: botTokenHash(token) },
      select: { userId: true, user: { select: state }, owner: { select: state } }
    })
    if (bot === null || bot.user.deletedAt !== null || bot.owner.deletedAt !== null) throw Errors.invalidToken()
    if (isSuspended(bot.user) || isSuspended(bot.owner)) throw Errors.suspended()
    return bot.userId
  }

  // Imported here, not at the top: the server API module reaches the messages module, whose
  // delivery path comes back to this plugin (a cycle that ESM would start in the wrong order).
  const { createAppTokens } = await import('../modules/server-api/index.js')
  const appTokens = config.APP_JWT_ISSUER !== undefined && config.APP_JWT_AUDIENCE !== undefined && config.APP_JWKS_URL !== undefined
    ? createAppTokens(app.prisma, { issuer: config.APP_JWT_ISSUER, audience: config.APP_JWT_AUDIENCE, jwksUrl: config.APP_JWKS_URL, allowedHosts: config.outboundAllowedHosts, cooldownMs: config.APP_JWKS_COOLDOWN_MS })
    : undefined
  app.decorate('appTokens', appTokens)
  app.addHook('onClose', async () => { appTokens?.close() })

  app.decorateRequest('userId', '')
  app.decorateRequest('isBot', false)
  app.decorate('verifyBotToken', verifyBotToken)
  app.decorateRequest('userRole', 'user')
  app.decorate('verifyAccessToken', verifyAccessToken)
  app.decorate('accessTokenCutoffs', accessTokenCutoffs)
  app.decorate('signAccessToken', (userId: string, role: PlatformRole = 'user') =>
    app.jwt.sign({ sub: userId, typ: 'access', iatMs: Date.now(), ...(role === 'admin' ? { role } : {}) }))
  app.decorate('authenticate', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    const bot = typeof header === 'string' ? /^Bot ([^\s]+)$/i.exec(header) : null
    if (bot?.[1] !== undefined) {
      request.userId = await verifyBotToken(bot[1])
      request.isBot = true
      return
    }
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null
    if (match?.[1] === undefined) throw Errors.invalidToken()
    if (appTokens?.claims(match[1]) === true) {
      request.userId = (await appTokens.signIn(match[1])).userId
      return
    }
    const { claims, revoked } = readAccessToken(match[1])
    if (revoked) {
      // Rare path (a cut-off token): say why when the cut was a suspension that still holds.
      const row = await app.prisma.user.findUnique({ where: { id: claims.sub }, select: { suspendedAt: true, suspendedUntil: true } })
      if (row !== null && isSuspended(row)) throw Errors.suspended()
      throw Errors.invalidToken()
    }
    request.userId = claims.sub
    request.userRole = claims.role === 'admin' ? 'admin' : 'user'
  })
}, { name: 'auth', dependencies: ['config', 'db'] })
