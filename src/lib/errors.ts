import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@relay-im/client/protocol'

/**
 * Every error the API returns, in one place: a stable code from docs/protocol.md, an HTTP
 * status and a message. REST replies `{ error: { code, message } }`; socket acks
 * `{ ok: false, error: { code, message } }`. The codes and statuses are the protocol module's
 * (`@relay-im/client/protocol`), the one list the server and the SDK share. RATE_LIMITED may
 * add `retryAfterMs`: how long to wait before trying again.
 */
export const ErrorCodes = ERROR_STATUS

export type { ErrorBody, ErrorCode }

export class AppError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  /** RATE_LIMITED only: milliseconds until a retry can succeed. */
  readonly retryAfterMs: number | undefined
  constructor (code: ErrorCode, message: string, statusCode: number = ErrorCodes[code], retryAfterMs?: number) {
    super(message)
    this.name = 'AppError'
    this.code = code
    this.statusCode = statusCode
    this.retryAfterMs = code === 'RATE_LIMITED' && retryAfterMs !== undefined ? Math.max(0, Math.ceil(retryAfterMs)) : undefined
  }

  toJSON (): ErrorBody {
    return this.retryAfterMs === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, retryAfterMs: this.retryAfterMs }
  }
}

const make = (code: ErrorCode) => (message: string) => new AppError(code, message)

export const validation = make('VALIDATION')
export const unauthorized = make('UNAUTHORIZED')
export const forbidden = make('FORBIDDEN')
export const notFound = make('NOT_FOUND')
export const conflict = make('CONFLICT')
export const payloadTooLarge = make('PAYLOAD_TOO_LARGE')
export const rateLimited = (message: string, retryAfterMs?: number): AppError => new AppError('RATE_LIMITED', message, ErrorCodes.RATE_LIMITED, retryAfterMs)
export const internal = make('INTERNAL')

/** The common errors with their canonical messages. */
export const Errors = {
  invalidCredentials: () => unauthorized('Invalid username or password'),
  invalidToken: () => unauthorized('Missing, invalid or expired access token'),
  invalidRefreshToken: () => unauthorized('Invalid, expired or revoked refresh token'),
  usernameTaken: () => conflict('Username is already taken'),
  userNotFound: () => notFound('User not found'),
  conversationNotFound: () => notFound('Conversation not found'),
  messageNotFound: () => notFound('Message not found'),
  pushSubscriptionNotFound: () => notFound('Push subscription not found'),
  pushNotConfigured: () => notFound('Push notifications are not configured on this server'),
  notMember: () => notFound('Conversation not found'),
  /** A channel is public (readable by anyone signed in); writing in it takes joining. */
  notChannelMember: () => forbidden('Join the channel first'),
  blocked: () => forbidden('Blocked'),
  notFriends: () => forbidden('Direct messages require friendship'),
  /** A suspended account: login, refresh and access tokens are refused. */
  suspended: () => forbidden('Suspended'),
  adminOnly: () => forbidden('Admins only'),
  /** Two-factor sign-in (src/modules/auth/totp.ts). */
  twoFactorNotEnrolled: () => notFound('No two-factor enrolment in progress'),
  /** Passkeys (src/modules/auth/passkey.ts). */
  passkeyNotFound: () => notFound('Passkey not found'),
  passkeyChallengeInvalid: () => unauthorized('Invalid, expired or used passkey challenge'),
  passkeyNotRecognised: () => unauthorized('Passkey not recognised'),
  passkeyNotVerified: () => unauthorized('Passkey response could not be verified'),
  /** OpenID Connect sign-in (src/modules/auth/oidc*.ts). */
  oidcUnknownProvider: () => notFound('Unknown sign-in provider'),
  oidcBadState: () => unauthorized('Invalid, expired or used sign-in state'),
  oidcProviderRefused: () => unauthorized('The sign-in provider did not confirm the sign-in'),
  oidcProviderUnavailable: () => new AppError('INTERNAL', 'The sign-in provider cannot be reached, try again', 503),
  oidcNotLinked: () => forbidden('No account here is linked to this sign-in, and new accounts are not created from it'),
  oidcLinkedElsewhere: () => conflict('This sign-in is already linked to another account'),
  oidcProviderAlreadyLinked: () => conflict('An account of this provider is already linked'),
  oidcNotLinkedHere: () => notFound('No account of this provider is linked'),
  oidcLastSignInMethod: () => conflict('This is the only way left to sign in to the account'),
  oidcBadHandoff: () => unauthorized('Invalid, expired or used sign-in code'),
  passwordSignUpOff: () => forbidden('Sign-up with a password is turned off on this server'),
  /** Kept within the contract's codes: INTERNAL, but 503 so clients and balancers retry. */
  databaseUnavailable: () => new AppError('INTERNAL', 'Database unavailable, try again', 503)
}

/** Maps anything thrown to a safe error body; unknown errors become INTERNAL without details. */
export function toErrorBody (err: unknown): ErrorBody {
  if (err instanceof AppError) return err.toJSON()
  return { code: 'INTERNAL', message: 'Internal error' }
}
