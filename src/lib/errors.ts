/**
 * Every error the API returns, in one place: a stable code from PROTOCOL.md, an HTTP status
 * and a message. REST replies `{ error: { code, message } }`; socket acks
 * `{ ok: false, error: { code, message } }`.
 */
export const ErrorCodes = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500
} as const

export type ErrorCode = keyof typeof ErrorCodes

export class AppError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  constructor (code: ErrorCode, message: string, statusCode: number = ErrorCodes[code]) {
    super(message)
    this.name = 'AppError'
    this.code = code
    this.statusCode = statusCode
  }

  toJSON (): ErrorBody { return { code: this.code, message: this.message } }
}

export interface ErrorBody { code: ErrorCode, message: string }

const make = (code: ErrorCode) => (message: string) => new AppError(code, message)

export const validation = make('VALIDATION')
export const unauthorized = make('UNAUTHORIZED')
export const forbidden = make('FORBIDDEN')
export const notFound = make('NOT_FOUND')
export const conflict = make('CONFLICT')
export const payloadTooLarge = make('PAYLOAD_TOO_LARGE')
export const rateLimited = make('RATE_LIMITED')
export const internal = make('INTERNAL')

/** The common errors with their canonical messages. */
export const Errors = {
  invalidCredentials: () => unauthorized('Invalid username or password'),
  invalidToken: () => unauthorized('Missing, invalid or expired access token'),
  invalidRefreshToken: () => unauthorized('Invalid, expired or revoked refresh token'),
  usernameTaken: () => conflict('Username is already taken'),
  userNotFound: () => notFound('User not found'),
  conversationNotFound: () => notFound('Conversation not found'),
  notMember: () => notFound('Conversation not found'),
  blocked: () => forbidden('Blocked'),
  notFriends: () => forbidden('Direct messages require friendship'),
  /** A suspended account: login, refresh and access tokens are refused. */
  suspended: () => forbidden('Suspended'),
  adminOnly: () => forbidden('Admins only'),
  /** Kept within the contract's codes: INTERNAL, but 503 so clients and balancers retry. */
  databaseUnavailable: () => new AppError('INTERNAL', 'Database unavailable, try again', 503)
}

/** Maps anything thrown to a safe error body; unknown errors become INTERNAL without details. */
export function toErrorBody (err: unknown): ErrorBody {
  if (err instanceof AppError) return err.toJSON()
  return { code: 'INTERNAL', message: 'Internal error' }
}
