import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import { AppError, type ErrorCode } from '../lib/errors.js'

/** Fastify's own error codes that map onto ours. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'VALIDATION',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION',
  FST_ERR_VALIDATION: 'VALIDATION',
  FST_ERR_BAD_URL: 'VALIDATION',
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'UNAUTHORIZED',
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: 'UNAUTHORIZED',
  FST_JWT_AUTHORIZATION_TOKEN_INVALID: 'UNAUTHORIZED',
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: 'UNAUTHORIZED',
  FST_JWT_BAD_REQUEST: 'UNAUTHORIZED',
  FST_ERR_RATE_LIMITED: 'RATE_LIMITED'
}

const byStatus: Record<number, ErrorCode> = {
  400: 'VALIDATION', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 415: 'VALIDATION', 429: 'RATE_LIMITED'
}

/** One error shape for every route: `{ error: { code, message } }`. */
export default fp(async (app) => {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    if (err instanceof AppError) {
      return reply.status(err.statusCode).send({ error: err.toJSON() })
    }
    if (err.validation !== undefined) {
      const first = err.validation[0]
      const where = first?.instancePath !== undefined && first.instancePath !== '' ? `${err.validationContext ?? ''}${first.instancePath}` : (err.validationContext ?? 'request')
      return reply.status(400).send({ error: { code: 'VALIDATION', message: `${where}: ${first?.message ?? 'invalid'}` } })
    }
    const status = err.statusCode ?? 500
    const code = (err.code !== undefined ? fastifyCodes[err.code] : undefined) ?? byStatus[status]
    if (code === undefined || status >= 500) {
      request.log.error({ err }, 'unhandled error')
      return reply.status(status >= 500 ? status : 500).send({ error: { code: 'INTERNAL', message: 'Internal error' } })
    }
    return reply.status(status).send({ error: { code, message: err.message } })
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `Route ${request.method} ${request.url.split('?')[0] ?? ''} not found` } })
  })
}, { name: 'errors' })
