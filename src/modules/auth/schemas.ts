import { Type, type Static } from 'typebox'
import { Text } from '../../lib/text-schemas.js'
import { AvatarUrl, DisplayName, Password, UserSchema, Username } from '../users/index.js'

export const RegisterBody = Type.Object({
  username: Username,
  password: Password,
  displayName: Type.Optional(DisplayName),
  avatarUrl: Type.Optional(Type.Union([AvatarUrl, Type.Null()]))
}, { additionalProperties: false })
export type Register = Static<typeof RegisterBody>

/**
 * Deliberately looser than registration: a name or password that could never have been
 * registered is simply wrong credentials (401), not a hint about the rules.
 */
export const LoginBody = Type.Object({
  username: Text({ minLength: 1, maxLength: 64 }),
  password: Text({ minLength: 1, maxLength: 128 })
}, { additionalProperties: false })
export type Login = Static<typeof LoginBody>

export const RefreshToken = Text({ minLength: 1, maxLength: 512 })
export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false })

export const ChangePasswordBody = Type.Object({
  currentPassword: Text({ minLength: 1, maxLength: 128 }),
  newPassword: Password
}, { additionalProperties: false })

export const TokensSchema = Type.Object({ accessToken: Type.String(), refreshToken: Type.String() })
export type Tokens = Static<typeof TokensSchema>

export const SessionSchema = Type.Object({ user: UserSchema, ...TokensSchema.properties })
export type Session = Static<typeof SessionSchema>

// ---------------------------------------------------------------- two-factor (TOTP)

/** A current six-digit TOTP code or a recovery code (`XXXXX-XXXXX`). */
export const TwoFactorCode = Text({ minLength: 6, maxLength: 32, pattern: '^[0-9A-Za-z -]+$', description: 'A current six-digit TOTP code, or one of the recovery codes' })

/** What the password step returns instead of a session when the account has two-factor on. */
export const SecondFactorChallengeSchema = Type.Object({
  secondFactor: Type.Object({
    /** Opaque, single use; presented with the code to POST /auth/login/second-factor. */
    challenge: Type.String(),
    expiresAt: Type.String({ format: 'date-time' }),
    methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('recovery')]))
  })
})
export type SecondFactorChallenge = Static<typeof SecondFactorChallengeSchema>
export type SignInResult = Session | SecondFactorChallenge

export const SecondFactorBody = Type.Object({
  challenge: Text({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }),
  code: TwoFactorCode
}, { additionalProperties: false })

export const TwoFactorCodeBody = Type.Object({ code: TwoFactorCode }, { additionalProperties: false })
/** Enrolment takes the password: a stolen session alone cannot turn two-factor on and lock the owner out. */
export const TotpEnrolBody = Type.Object({ password: Text({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false })

export const TotpStatusSchema = Type.Object({ enabled: Type.Boolean(), recoveryCodesLeft: Type.Integer({ minimum: 0 }) })
export const TotpEnrolmentSchema = Type.Object({
  /** Base32, for typing into an authenticator by hand. */
  secret: Type.String(),
  /** `otpauth://totp/...`: what the QR code holds. */
  otpauthUrl: Type.String()
})
export const RecoveryCodesSchema = Type.Object({ recoveryCodes: Type.Array(Type.String(), { minItems: 10, maxItems: 10 }) })
