import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import * as client from 'openid-client'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { isUniqueViolation } from '../../db/constraint-errors.js'
import { txSql } from '../../db/tx-sql.js'
import { AppError, Errors } from '../../lib/errors.js'
import { isSuspended } from '../../lib/suspension.js'
import type { AllowedHosts } from '../../lib/outbound-url.js'
import type { OidcProviderConfig } from '../../lib/oidc-providers.js'
import type { SignInResult } from './schemas.js'
import { createOidcClients } from './oidc-client.js'
import { oidcDisplayName, oidcUsername } from './oidc-username.js'
import { USER_PASSWORD_LOCK_SQL } from './oidc-sql.js'

export interface OidcOptions {
  providers: OidcProviderConfig[]
  /** OIDC_PUBLIC_URL: what browsers reach this server at. */
  publicUrl: string
  newAccounts: 'create' | 'refuse'
  flowTtlS: number
  /** JWT_SECRET: the nonce and the PKCE verifier are derived from the state with a key derived from it. */
  secret: string
  allowedHosts: AllowedHosts
  /** The auth service's sign-in of a user whose identity is proven: a session, or the two-factor challenge. */
  signIn: (userId: string) => Promise<SignInResult>
  log: { warn: (obj: object, msg: string) => void }
}

/** Why a callback failed, as the page is told in the fragment (`oidc-reason`). */
export type OidcFailureReason = 'state' | 'denied' | 'provider' | 'unavailable' | 'not_linked' | 'linked_elsewhere' | 'already_linked'

export class OidcCallbackError extends Error {
  readonly reason: OidcFailureReason
  readonly error: AppError
  constructor (reason: OidcFailureReason, error: AppError) {
    super(error.message)
    this.reason = reason
    this.error = error
    this.name = 'OidcCallbackError'
  }
}

/** What the callback tells the page: a one-time code to exchange, or that a link was made. */
export type OidcCallbackResult = { kind: 'signIn', code: string } | { kind: 'linked', provider: string }

const HANDOFF_TTL_MS = 60_000
const SUB_MAX = 255
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

/**
 * OpenID Connect sign-in (docs/protocol.md, "OpenID Connect sign-in"): authorization code with
 * PKCE, state and nonce. A start stores only the SHA-256 of a random state (single use,
 * OIDC_FLOW_TTL_S); the nonce and the PKCE verifier are HMACs of the state. The callback spends
 * the state, redeems the code (openid-client checks the `iss` parameter, the ID token's
 * signature, issuer, audience, expiry and nonce, and PKCE), then finds the user linked to the
 * (issuer, subject), never by e-mail, and hands the page a one-time code (60 s) it exchanges for
 * the session, or, with two-factor on, for the challenge of POST /auth/login/second-factor.
 */
export function createOidcService (prisma: PrismaClient, opts: OidcOptions) {
  const clients = createOidcClients(opts.allowedHosts)
  const deriveKey = createHmac('sha256', opts.secret).update('relay-im oidc flow').digest()
  const derive = (state: string, what: 'nonce' | 'pkce'): string => createHmac('sha256', deriveKey).update(`${what}:${state}`).digest('base64url')
  const base = opts.publicUrl.replace(/\/$/, '')
  const byId = new Map(opts.providers.map((p) => [p.id, p]))

  const providerOf = (id: string): OidcProviderConfig => {
    const p = byId.get(id)
    if (p === undefined) throw Errors.oidcUnknownProvider()
    return p
  }
  const callbackUrl = (p: OidcProviderConfig): string => `${base}/api/auth/oidc/${p.id}/callback`
  const configOf = async (p: OidcProviderConfig): Promise<client.Configuration> => {
    try {
      return await clients.configOf(p)
    } catch (err) {
      opts.log.warn({ provider: p.id }, 'OpenID provider discovery failed')
      throw err
    }
  }

  /** The user linked to (issuer, subject); a first sign-in creates one (OIDC_NEW_ACCOUNTS=create) or is refused. */
  async function userFor (p: OidcProviderConfig, issuer: string, subject: string, claims: Record<string, unknown>): Promise<string> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const linked = await prisma.oidcIdentity.findUnique({ where: { issuer_subject: { issuer, subject } }, select: { id: true, userId: true, user: { select: { deletedAt: true } } } })
      if (linked !== null && linked.user.deletedAt === null) return linked.userId
      // The account it was linked to is deleted: the link goes, and this is a first sign-in again.
      if (linked !== null) await prisma.oidcIdentity.deleteMany({ where: { id: linked.id } })
      if (opts.newAccounts === 'refuse') throw new OidcCallbackError('not_linked', Errors.oidcNotLinked())
      const username = oidcUsername(claims, attempt)
      try {
        const user = await prisma.user.create({
          data: {
            id: randomUUID(),
            username,
            displayName: oidcDisplayName(claims, username),
            passwordHash: '!', // no password: it signs in through the provider only
            oidcIdentities: { create: { id: randomUUID(), provider: p.id, issuer, subject } }
          },
          select: { id: true }
        })
        return user.id
      } catch (err) {
        // A taken username (try another), or the same first sign-in twice at once (found above next time).
        if (!isUniqueViolation(err)) throw err
      }
    }
    throw new AppError('INTERNAL', 'Could not pick a username, try again', 503)
  }

  async function link (userId: string, p: OidcProviderConfig, issuer: string, subject: string): Promise<void> {
    // The user who started the link may have been deleted or suspended meanwhile.
    const owner = await prisma.user.findUnique({ where: { id: userId }, select: { deletedAt: true, isBot: true, suspendedAt: true, suspendedUntil: true } })
    if (owner === null || owner.deletedAt !== null || owner.isBot) throw new OidcCallbackError('state', Errors.oidcBadState())
    if (isSuspended(owner)) throw new OidcCallbackError('state', Errors.suspended())
    const linked = await prisma.oidcIdentity.findUnique({ where: { issuer_subject: { issuer, subject } }, select: { userId: true } })
    if (linked !== null) {
      if (linked.userId === userId) return
      throw new OidcCallbackError('linked_elsewhere', Errors.oidcLinkedElsewhere())
    }
    try {
      await prisma.oidcIdentity.create({ data: { id: randomUUID(), userId, provider: p.id, issuer, subject } })
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      const again = await prisma.oidcIdentity.findUnique({ where: { issuer_subject: { issuer, subject } }, select: { userId: true } })
      if (again?.userId === userId) return
      throw again === null ? new OidcCallbackError('already_linked', Errors.oidcProviderAlreadyLinked()) : new OidcCallbackError('linked_elsewhere', Errors.oidcLinkedElsewhere())
    }
  }

  return {
    providers: (): Array<{ id: string, name: string }> => opts.providers.map((p) => ({ id: p.id, name: p.name })),

    /** The provider's authorization URL for a new sign-in (`userId` undefined) or a link to that user. */
    async start (providerId: string, userId?: string): Promise<{ url: string }> {
      const p = providerOf(providerId)
      const config = await configOf(p)
      const state = randomBytes(32).toString('base64url')
      const now = new Date()
      await prisma.$transaction([
        prisma.oidcFlow.deleteMany({ where: { expiresAt: { lt: now } } }),
        prisma.oidcFlow.create({ data: { id: randomUUID(), stateHash: sha256(state), provider: p.id, userId: userId ?? null, expiresAt: new Date(now.getTime() + opts.flowTtlS * 1000) } })
      ])
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: callbackUrl(p),
        scope: p.scopes.join(' '),
        state,
        nonce: derive(state, 'nonce'),
        code_challenge: await client.calculatePKCECodeChallenge(derive(state, 'pkce')),
        code_challenge_method: 'S256'
      })
      return { url: url.href }
    },

    /** The provider sent the browser back: `query` is the callback's query string (without `?`). */
    async callback (providerId: string, query: string): Promise<OidcCallbackResult> {
      const p = providerOf(providerId)
      const params = new URLSearchParams(query)
      const state = params.get('state') ?? ''
      const row = state === '' || state.length > 256 ? null : await prisma.oidcFlow.findUnique({ where: { stateHash: sha256(state) } })
      if (row === null || row.provider !== p.id || row.usedAt !== null || row.expiresAt.getTime() <= Date.now()) throw new OidcCallbackError('state', Errors.oidcBadState())
      // Spent before anything else: of two callbacks with one state only one goes on.
      const { count } = await prisma.oidcFlow.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } })
      if (count !== 1) throw new OidcCallbackError('state', Errors.oidcBadState())
      if (params.has('error')) throw new OidcCallbackError('denied', Errors.oidcProviderRefused())

      let config: client.Configuration
      try {
        config = await configOf(p)
      } catch (err) {
        throw new OidcCallbackError('unavailable', err as AppError)
      }
      let claims: client.IDToken | undefined
      try {
        const tokens = await client.authorizationCodeGrant(config, new URL(`${callbackUrl(p)}?${query}`), {
          expectedState: state,
          expectedNonce: derive(state, 'nonce'),
          pkceCodeVerifier: derive(state, 'pkce'),
          idTokenExpected: true
        })
        claims = tokens.claims()
      } catch (err) {
        opts.log.warn({ provider: p.id, err: (err as Error).message }, 'OpenID sign-in refused')
        throw new OidcCallbackError('provider', Errors.oidcProviderRefused())
      }
      const issuer = config.serverMetadata().issuer
      const subject = claims?.sub
      if (claims === undefined || claims.iss !== issuer || typeof subject !== 'string' || subject === '' || subject.length > SUB_MAX) {
        throw new OidcCallbackError('provider', Errors.oidcProviderRefused())
      }
      if (row.userId !== null) {
        await link(row.userId, p, issuer, subject)
        return { kind: 'linked', provider: p.id }
      }
      const userId = await userFor(p, issuer, subject, claims as Record<string, unknown>)
      const code = randomBytes(32).toString('base64url')
      await prisma.$transaction([
        prisma.oidcHandoff.deleteMany({ where: { expiresAt: { lt: new Date() } } }),
        prisma.oidcHandoff.create({ data: { id: randomUUID(), codeHash: sha256(code), userId, expiresAt: new Date(Date.now() + HANDOFF_TTL_MS) } })
      ])
      return { kind: 'signIn', code }
    },

    /** The page's one-time code for the session (or the two-factor challenge); single use, 60 s. */
    async exchange (code: string): Promise<SignInResult> {
      const row = await prisma.oidcHandoff.findUnique({ where: { codeHash: sha256(code) } })
      if (row === null || row.usedAt !== null || row.expiresAt.getTime() <= Date.now()) throw Errors.oidcBadHandoff()
      const { count } = await prisma.oidcHandoff.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } })
      if (count !== 1) throw Errors.oidcBadHandoff()
      return await opts.signIn(row.userId)
    },

    /** My linked providers (configured ones only), and whether I have a password. */
    async identities (userId: string): Promise<{ identities: Array<{ provider: string, name: string, linkedAt: string }>, hasPassword: boolean }> {
      const [rows, user] = await Promise.all([
        prisma.oidcIdentity.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } }),
        prisma.user.findUnique({ where: { id: userId }, select: { passwordHash: true } })
      ])
      return {
        identities: rows.flatMap((r) => {
          const p = byId.get(r.provider)
          return p === undefined ? [] : [{ provider: p.id, name: p.name, linkedAt: r.createdAt.toISOString() }]
        }),
        hasPassword: user?.passwordHash.startsWith('scrypt$') === true
      }
    },

    /** Unlinks a provider; CONFLICT when it is the account's last way to sign in (no password, no other link, no passkey). */
    async unlink (userId: string, providerId: string): Promise<void> {
      const p = providerOf(providerId)
      const done = await prisma.$transaction(async (tx) => {
        const [user] = await txSql(tx).query<{ password_hash: string }>(USER_PASSWORD_LOCK_SQL, [userId])
        const rows = await tx.oidcIdentity.findMany({ where: { userId }, select: { id: true, provider: true } })
        const mine = rows.find((r) => r.provider === p.id)
        if (mine === undefined) return 'missing'
        const others = rows.filter((r) => r.id !== mine.id && byId.has(r.provider)).length
        if (user?.password_hash.startsWith('scrypt$') !== true && others === 0 && await tx.passkey.count({ where: { userId } }) === 0) return 'last'
        await tx.oidcIdentity.delete({ where: { id: mine.id } })
        return 'ok'
      })
      if (done === 'missing') throw Errors.oidcNotLinkedHere()
      if (done === 'last') throw Errors.oidcLastSignInMethod()
    },

    close: () => { clients.close() }
  }
}

export type OidcService = ReturnType<typeof createOidcService>
