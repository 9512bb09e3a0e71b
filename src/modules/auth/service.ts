import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { isUniqueViolation } from '../../db/constraint-errors.js'
import { Errors, forbidden } from '../../lib/errors.js'
import { hashPassword, verifyPassword } from '../../lib/password.js'
import { isSuspended } from '../../lib/suspension.js'
import type { PlatformRole } from '../../plugins/auth.js'
import { USERNAME_RE, publicUserSelect, toPublicUser } from '../users/index.js'
import type { Login, Register, Session, SignInResult, Tokens } from './schemas.js'
import type { TotpService } from './totp.js'

export interface AuthServiceOptions {
  scryptLogN: number
  refreshTokenTtlS: number
  /** Seconds after a rotation during which the old refresh token gets the same successor again (0: never). */
  refreshReuseGraceS: number
  /** Server secret the successor of a refresh token is derived with (JWT_SECRET). */
  secret: string
  signAccessToken: (userId: string, role?: PlatformRole) => string
  /** Two-factor: once a user confirmed TOTP, the password step returns a challenge instead of a session. */
  totp: TotpService
  /** TOTP_REQUIRED_FOR_ADMINS: an admin's tokens carry the admin role only in a session started with a second factor. */
  adminsNeedSecondFactor: boolean
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

export const normalizeUsername = (name: string): string => name.trim().toLowerCase()

/**
 * Accounts and sessions. Access tokens are short-lived JWTs; refresh tokens are opaque
 * strings stored only as SHA-256, rotated on every use. Each login starts a family;
 * presenting an already rotated token means it leaked, so the whole family is revoked,
 * except within the reuse grace (two tabs refreshing at once, a lost response): there the
 * old token gets the same successor again (OAuth 2.1 section 4.3.1 allows this).
 */
export function createAuthService (prisma: PrismaClient, opts: AuthServiceOptions) {
  // Compared against when the username is unknown, so that answer costs one scrypt too.
  const dummyHash = ['scrypt', opts.scryptLogN, 8, 1, randomBytes(16).toString('base64'), randomBytes(32).toString('base64')].join('$')

  const successorKey = createHmac('sha256', opts.secret).update('relay-im refresh token successor').digest()
  /** The token a refresh token rotates into: derived, so a second use within the grace finds the same one without storing it. */
  const successorOf = (token: string): string => createHmac('sha256', successorKey).update(token).digest('base64url')

  const newRefreshToken = (userId: string, familyId: string, token = randomBytes(32).toString('base64url'), secondFactor = false) => {
    const row = { id: randomUUID(), userId, familyId, tokenHash: sha256(token), expiresAt: new Date(Date.now() + opts.refreshTokenTtlS * 1000), secondFactor }
    return { token, row }
  }

  /** The role the session's access tokens carry (see adminsNeedSecondFactor). */
  const sessionRole = (role: PlatformRole, secondFactor: boolean): PlatformRole =>
    role === 'admin' && opts.adminsNeedSecondFactor && !secondFactor ? 'user' : role

  /** A new session (token family) for a user who has passed every step of signing in. */
  const startSession = async (user: Parameters<typeof toPublicUser>[0] & { id: string, role: PlatformRole }, secondFactor: boolean): Promise<Session> => {
    const { token, row } = newRefreshToken(user.id, randomUUID(), undefined, secondFactor)
    await prisma.$transaction([
      prisma.refreshToken.deleteMany({ where: { userId: user.id, expiresAt: { lt: new Date() } } }),
      prisma.refreshToken.create({ data: row })
    ])
    return { user: toPublicUser(user), accessToken: opts.signAccessToken(user.id, sessionRole(user.role, secondFactor)), refreshToken: token }
  }

  const revokeFamily = async (familyId: string): Promise<void> => {
    await prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } })
  }

  /**
   * A second use of a refresh token is answered with the successor it was rotated into when:
   * the token was rotated (not revoked: logout, password change, suspension and family
   * revocation all set revoked_at, rotation leaves it null) less than the grace ago, and that
   * successor is still unused, unrevoked and unexpired. A successor already rotated in turn
   * means the old token is stale, never a tab that lost a race: it is a reuse.
   */
  const reusedWithinGrace = async (id: string, familyId: string, successorHash: string): Promise<boolean> => {
    if (opts.refreshReuseGraceS <= 0) return false
    const now = Date.now()
    const [old, successor] = await Promise.all([
      prisma.refreshToken.findUnique({ where: { id }, select: { rotatedAt: true, revokedAt: true } }),
      prisma.refreshToken.findUnique({ where: { tokenHash: successorHash }, select: { familyId: true, rotatedAt: true, revokedAt: true, expiresAt: true } })
    ])
    return old !== null && old.revokedAt === null && old.rotatedAt !== null && now - old.rotatedAt.getTime() < opts.refreshReuseGraceS * 1000 &&
      successor !== null && successor.familyId === familyId && successor.revokedAt === null && successor.rotatedAt === null &&
      successor.expiresAt.getTime() > now
  }

  return {
    async register (input: Register): Promise<Session> {
      const id = randomUUID()
      const username = normalizeUsername(input.username)
      const passwordHash = await hashPassword(input.password, opts.scryptLogN)
      const { token, row } = newRefreshToken(id, randomUUID())
      const { userId: _userId, ...tokenRow } = row
      try {
        // One nested write: the user and its first refresh token land together or not at all.
        const user = await prisma.user.create({
          data: {
            id,
            username,
            displayName: input.displayName?.trim() ?? username,
            avatarUrl: input.avatarUrl ?? null,
            passwordHash,
            refreshTokens: { create: tokenRow }
          },
          select: publicUserSelect
        })
        return { user: toPublicUser(user), accessToken: opts.signAccessToken(id), refreshToken: token }
      } catch (err) {
        if (isUniqueViolation(err)) throw Errors.usernameTaken()
        throw err
      }
    },

    /**
     * The same answer, after the same work, for an unknown user and a wrong password. With
     * two-factor on, the right password gets a challenge for the second step, not a session.
     */
    async login (input: Login): Promise<SignInResult> {
      const username = normalizeUsername(input.username)
      const user = USERNAME_RE.test(username) ? await prisma.user.findUnique({ where: { username } }) : null
      const ok = await verifyPassword(input.password, user?.passwordHash ?? dummyHash)
      if (user === null || !ok || user.deletedAt !== null) throw Errors.invalidCredentials()
      if (isSuspended(user)) throw Errors.suspended()
      if (await opts.totp.enabled(user.id)) return { secondFactor: { ...await opts.totp.startChallenge(user.id), methods: ['totp', 'recovery'] } }
      return await startSession(user, false)
    },

    /** The second step: a challenge from the password step and a current TOTP code or a recovery code. */
    async completeSecondFactor (challenge: string, code: string): Promise<Session> {
      const userId = await opts.totp.completeChallenge(challenge, code)
      const user = await prisma.user.findUnique({ where: { id: userId } })
      if (user === null || user.deletedAt !== null) throw Errors.invalidCredentials()
      if (isSuspended(user)) throw Errors.suspended()
      return await startSession(user, true)
    },

    /**
     * Signs in a user whose identity another step proved: a passkey (src/modules/auth/passkey.ts)
     * or an OpenID Connect provider (oidc.ts). As the password step answers: a session, or with
     * two-factor on the challenge for the code. `twoFactors`: the proof was two factors at once
     * (a passkey with user verification: something held and something known or been), so the
     * TOTP step is skipped and the session counts as second-factor.
     */
    signInVerified: async (userId: string, how: { twoFactors?: boolean } = {}): Promise<SignInResult> => {
      const user = await prisma.user.findUnique({ where: { id: userId } })
      if (user === null || user.deletedAt !== null || user.isBot) throw Errors.invalidCredentials()
      if (isSuspended(user)) throw Errors.suspended()
      const twoFactors = how.twoFactors === true
      if (!twoFactors && await opts.totp.enabled(user.id)) return { secondFactor: { ...await opts.totp.startChallenge(user.id), methods: ['totp', 'recovery'] } }
      return await startSession(user, twoFactors)
    },

    async refresh (refreshToken: string): Promise<Tokens> {
      const current = await prisma.refreshToken.findUnique({
        where: { tokenHash: sha256(refreshToken) },
        include: { user: { select: { role: true, suspendedAt: true, suspendedUntil: true } } }
      })
      if (current === null || (current.rotatedAt === null && current.expiresAt.getTime() <= Date.now())) throw Errors.invalidRefreshToken()
      // Suspension revokes refresh tokens too; this also covers one issued in a race with it.
      if (isSuspended(current.user)) throw Errors.suspended()

      const next = newRefreshToken(current.userId, current.familyId, successorOf(refreshToken), current.secondFactor)
      // The conditional update is the lock: of two concurrent uses only one sees count 1. The
      // other, and any later use, is a reuse: answered again within the grace, else the family dies.
      const rotated = await prisma.$transaction(async (tx) => {
        const { count } = await tx.refreshToken.updateMany({
          where: { id: current.id, rotatedAt: null, revokedAt: null },
          data: { rotatedAt: new Date() }
        })
        if (count !== 1) return false
        await tx.refreshToken.create({ data: next.row })
        return true
      })
      if (!rotated && !await reusedWithinGrace(current.id, current.familyId, next.row.tokenHash)) {
        await revokeFamily(current.familyId)
        throw Errors.invalidRefreshToken()
      }
      return { accessToken: opts.signAccessToken(current.userId, sessionRole(current.user.role, current.secondFactor)), refreshToken: next.token }
    },

    /**
     * A new session for a user, as login starts one, without a password: for an app backend
     * that vouches for its user (server API). Deleted: NOT_FOUND; suspended: FORBIDDEN.
     */
    async mintTokens (userId: string): Promise<Tokens> {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { id: true, role: true, deletedAt: true, suspendedAt: true, suspendedUntil: true } })
      if (user === null || user.deletedAt !== null) throw Errors.userNotFound()
      if (isSuspended(user)) throw Errors.suspended()
      const { token, row } = newRefreshToken(user.id, randomUUID())
      await prisma.refreshToken.create({ data: row })
      return { accessToken: opts.signAccessToken(user.id, user.role), refreshToken: token }
    },

    /** Ends the session the token belongs to; an unknown token is quietly ignored. */
    async logout (refreshToken: string): Promise<void> {
      const current = await prisma.refreshToken.findUnique({ where: { tokenHash: sha256(refreshToken) }, select: { familyId: true } })
      if (current !== null) await revokeFamily(current.familyId)
    },

    /**
     * Changes the password and ends every session of the user: refresh tokens are revoked and
     * access tokens issued before the returned moment are cut off (users.tokens_valid_after;
     * the caller makes every node apply it, see realtime.endSessions).
     */
    async changePassword (userId: string, currentPassword: string, newPassword: string): Promise<Date> {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { passwordHash: true } })
      if (user === null) throw Errors.invalidToken()
      if (!await verifyPassword(currentPassword, user.passwordHash)) throw forbidden('Current password is incorrect')
      const passwordHash = await hashPassword(newPassword, opts.scryptLogN)
      const now = new Date()
      const changed = await prisma.$transaction(async (tx) => {
        // Conditional on the hash just checked, so a concurrent change is not silently overwritten.
        const { count } = await tx.user.updateMany({ where: { id: userId, passwordHash: user.passwordHash }, data: { passwordHash, tokensValidAfter: now } })
        if (count !== 1) return false
        await tx.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } })
        return true
      })
      if (!changed) throw forbidden('Current password is incorrect')
      return now
    }
  }
}

export type AuthService = ReturnType<typeof createAuthService>
