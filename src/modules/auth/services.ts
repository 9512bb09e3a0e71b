import type { FastifyInstance } from 'fastify'
import { createAuthService, type AuthService } from './service.js'
import { createPasskeyService, type PasskeyService } from './passkey.js'
import { createTotpService, type TotpService } from './totp.js'

/** The sign-in services as the app's configuration sets them up: the auth routes' and the server API's (which mints sessions for an app's users). */
export function authServicesOf (app: FastifyInstance): { auth: AuthService, totp: TotpService, passkeys: PasskeyService } {
  const { config } = app
  const totp = createTotpService(app.prisma, {
    secret: config.JWT_SECRET,
    issuer: config.TOTP_ISSUER,
    maxFailures: config.TOTP_MAX_FAILURES,
    lockMs: config.TOTP_LOCK_S * 1000,
    challengeTtlS: 300,
    challengeMaxAttempts: 5
  })
  const auth = createAuthService(app.prisma, {
    totp,
    adminsNeedSecondFactor: config.TOTP_REQUIRED_FOR_ADMINS,
    scryptLogN: config.SCRYPT_LOG_N,
    refreshTokenTtlS: config.REFRESH_TOKEN_TTL_S,
    refreshReuseGraceS: config.REFRESH_REUSE_GRACE_S,
    secret: config.JWT_SECRET,
    signAccessToken: app.signAccessToken
  })
  const passkeys = createPasskeyService(app.prisma, { secret: config.JWT_SECRET, rpName: config.WEBAUTHN_RP_NAME, challengeTtlS: 120, maxPerUser: 20 })
  return { auth, totp, passkeys }
}
