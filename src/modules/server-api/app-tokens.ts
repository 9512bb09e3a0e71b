import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { Errors } from '../../lib/errors.js'
import { isSuspended } from '../../lib/suspension.js'
import { labelProblem } from '../../lib/text-policy.js'
import { createOutboundAgents, outboundRequest, type AllowedHosts } from '../../lib/outbound-url.js'
import { createExternalUsers } from './users.js'

/**
 * The app's own tokens (docs/protocol.md, "Server API"): with APP_JWT_ISSUER, APP_JWT_AUDIENCE
 * and APP_JWKS_URL set, a JWT the app signed (asymmetric algorithms only: never `none`, never
 * HS*, which would let anyone holding a public key forge one) is accepted as an access token on
 * REST and on the socket handshake. Its `sub` is the user's external id: the user is created on
 * first use (display name from `name`, else `sub`). The key set is fetched through the
 * outbound-address checks, cached, and fetched again for an unknown `kid` (rotation), at most
 * once per cooldown.
 */
export interface AppTokenOptions {
  issuer: string
  audience: string
  jwksUrl: string
  allowedHosts: AllowedHosts
  /** Milliseconds a fetched key set is used before it is fetched again. */
  cacheMaxAgeMs?: number
  /** Milliseconds between two fetches for an unknown kid. */
  cooldownMs?: number
}

export const APP_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']

/** An external id from `sub`: the same rule as the server API's path parameter. */
const SUB_RE = /^[\x21-\x7E]{1,128}$/

export interface AppTokens {
  /** Whether a token is meant for this verifier (an asymmetric JWT), without verifying it. */
  claims: (token: string) => boolean
  /** The user the valid app token names (created on first use); UNAUTHORIZED, or FORBIDDEN "Suspended". */
  signIn: (token: string) => Promise<{ userId: string, expiresAtMs: number }>
  /** Closes its kept-alive connections (app close). */
  close: () => void
}

/** jose hands fetch a Headers object; outboundRequest takes a plain record. */
function headersOf (headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => { out[name] = value })
  return out
}

export function createAppTokens (prisma: PrismaClient, opts: AppTokenOptions): AppTokens {
  const agents = createOutboundAgents({ maxSockets: 4 })
  const users = createExternalUsers(prisma)
  const jwks = createRemoteJWKSet(new URL(opts.jwksUrl), {
    cacheMaxAge: opts.cacheMaxAgeMs ?? 10 * 60_000,
    cooldownDuration: opts.cooldownMs ?? 30_000,
    timeoutDuration: 5000,
    // Through the SSRF checks: a loopback or private JWKS host only when listed in OUTBOUND_ALLOWED_HOSTS.
    [customFetch]: async (url, init) => {
      const res = await outboundRequest(url, { method: 'GET', headers: headersOf(init.headers), timeoutMs: 5000, maxResponseBytes: 256 * 1024 }, { allowedHosts: opts.allowedHosts, agents })
      return new Response(new Uint8Array(res.body), { status: res.status, headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') } })
    }
  })

  return {
    claims (token) {
      try {
        const alg = decodeProtectedHeader(token).alg
        return typeof alg === 'string' && !alg.startsWith('HS')
      } catch {
        return false
      }
    },
    async signIn (token) {
      let payload: JWTPayload
      try {
        ({ payload } = await jwtVerify(token, jwks, { issuer: opts.issuer, audience: opts.audience, algorithms: APP_TOKEN_ALGORITHMS, requiredClaims: ['sub', 'exp'] }))
      } catch {
        throw Errors.invalidToken()
      }
      const sub = payload.sub
      if (typeof sub !== 'string' || !SUB_RE.test(sub) || typeof payload.exp !== 'number') throw Errors.invalidToken()
      const name = typeof payload.name === 'string' && payload.name.length <= 64 && labelProblem(payload.name) === undefined ? payload.name : sub.slice(0, 64)
      let row = await prisma.user.findFirst({ where: { externalId: sub, deletedAt: null }, select: { id: true, suspendedAt: true, suspendedUntil: true } })
      if (row === null) {
        const { user } = await users.upsert(sub, { displayName: name })
        row = { id: user.id, suspendedAt: null, suspendedUntil: null }
      }
      if (isSuspended(row)) throw Errors.suspended()
      return { userId: row.id, expiresAtMs: payload.exp * 1000 }
    },
    close: () => { agents.destroy() }
  }
}
