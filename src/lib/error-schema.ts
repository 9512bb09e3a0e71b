import { Type } from 'typebox'
import { ErrorCodes, type ErrorCode } from './errors.js'

const codes = Object.keys(ErrorCodes) as ErrorCode[]

/** The REST error body; `code` is derived from the catalogue so the two cannot drift. */
export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.Enum(codes),
    message: Type.String(),
    retryAfterMs: Type.Optional(Type.Integer({ minimum: 0, description: 'RATE_LIMITED only: wait this long before retrying' }))
  })
})
