import { ERROR_STATUS as STATUS, type ErrorCode, type SecondFactorChallenge, type SecondFactorMethod } from './protocol.js'
import type { ClientErrorCode } from './types.js'

/**
 * Every failure the SDK reports: a contract error code (from a REST body or a socket ack)
 * or one of its own (TIMEOUT, NETWORK, CLOSED). `status` is the HTTP status for REST
 * errors, the code's usual status for socket acks, and 0 for the SDK's own codes.
 */
export class ClientError extends Error {
  readonly code: ClientErrorCode
  readonly status: number
  /** The message's clientMsgId when a send failed, to retry it later without doubling. */
  readonly clientMsgId?: string
  /** RATE_LIMITED: how long the server asked to wait before trying again. */
  readonly retryAfterMs?: number

  constructor (code: ClientErrorCode, message: string, status?: number, clientMsgId?: string, retryAfterMs?: number) {
    super(message)
    this.name = 'ClientError'
    this.code = code
    this.status = status ?? (code in STATUS ? STATUS[code as ErrorCode] : 0)
    if (clientMsgId !== undefined) this.clientMsgId = clientMsgId
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs
  }
}

const CODES = new Set<string>(Object.keys(STATUS))
const byStatus = (status: number): ErrorCode =>
  (Object.entries(STATUS).find(([, s]) => s === status)?.[0] as ErrorCode | undefined) ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION')

/** Builds the error of a failed HTTP response from its `{error:{code,message}}` body. */
export function errorFromResponse (status: number, body: unknown): ClientError {
  const err = (body as { error?: WireError } | null)?.error
  const code = typeof err?.code === 'string' && CODES.has(err.code) ? err.code as ErrorCode : byStatus(status)
  const message = typeof err?.message === 'string' ? err.message : `HTTP ${status}`
  return new ClientError(code, message, status, undefined, retryAfter(err))
}

/** Builds the error of a failed socket ack. */
export function errorFromAck (error: WireError | undefined, clientMsgId?: string): ClientError {
  const code = typeof error?.code === 'string' && CODES.has(error.code) ? error.code as ErrorCode : 'INTERNAL'
  return new ClientError(code, typeof error?.message === 'string' ? error.message : 'Request failed', undefined, clientMsgId, retryAfter(error))
}

interface WireError { code?: unknown, message?: unknown, retryAfterMs?: unknown }
const retryAfter = (err: WireError | undefined): number | undefined =>
  typeof err?.retryAfterMs === 'number' && Number.isFinite(err.retryAfterMs) && err.retryAfterMs >= 0 ? err.retryAfterMs : undefined

/**
 * Failures worth retrying: the server said "later", not "no". A socket ack carries no HTTP
 * status, so INTERNAL (which the server also uses for "database unavailable, try again",
 * 503) counts as transient; retries are safe because sends are deduplicated.
 */
export const isTransient = (err: unknown): boolean =>
  err instanceof ClientError && (err.code === 'NETWORK' || err.code === 'TIMEOUT' || err.code === 'RATE_LIMITED' || err.code === 'INTERNAL')

/**
 * `login()` of an account with two-factor sign-in on: the password was right, and signing in
 * takes one more step, `client.completeSignIn(err.challenge, code)` with a current TOTP code or
 * a recovery code, before `expiresAt`.
 */
export class SecondFactorRequiredError extends ClientError {
  /** Single use; bound to the account whose password was given. */
  readonly challenge: string
  readonly expiresAt: string
  readonly methods: SecondFactorMethod[]

  constructor (answer: SecondFactorChallenge) {
    super('SECOND_FACTOR_REQUIRED', 'A two-factor code is needed to finish signing in', 0)
    this.name = 'SecondFactorRequiredError'
    this.challenge = answer.secondFactor.challenge
    this.expiresAt = answer.secondFactor.expiresAt
    this.methods = answer.secondFactor.methods
  }
}
