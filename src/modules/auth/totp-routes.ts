import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorSchema } from '../../lib/error-schema.js'
import { Errors, forbidden } from '../../lib/errors.js'
import { verifyPassword } from '../../lib/password.js'
import { RecoveryCodesSchema, TotpEnrolBody, TotpEnrolmentSchema, TotpStatusSchema, TwoFactorCodeBody } from './schemas.js'
import type { TotpService } from './totp.js'

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 429: ErrorSchema }
const common = { tags: ['auth'], security: [{ bearer: [] }] }

/**
 * The signed-in user's TOTP factor, under /api/auth/totp (the caller registers this in an
 * authenticated scope). Every route is rate limited per client address; wrong codes also count
 * towards the factor's own lock, so spreading guesses over addresses does not help.
 */
export function totpRoutes (authed: FastifyInstance, totp: TotpService, rateLimit: { max: number, timeWindow: number }): void {
  const app = authed.withTypeProvider<TypeBoxTypeProvider>()

  app.get('/totp', {
    config: { rateLimit },
    schema: { ...common, operationId: 'totpStatus', summary: 'Whether two-factor sign-in is on, and recovery codes left', response: { 200: TotpStatusSchema, ...errors } }
  }, async (request) => await totp.status(request.userId))

  app.post('/totp/enrol', {
    config: { rateLimit },
    schema: {
      ...common,
      operationId: 'enrolTotp',
      summary: 'Start two-factor enrolment: a new TOTP secret',
      description: 'Takes the current password (FORBIDDEN when wrong: a stolen session alone cannot turn two-factor on and lock the owner out). Returns a new secret and its otpauth:// URL (for the QR code); it replaces an unconfirmed one. Nothing changes at sign-in until POST /auth/totp/confirm. CONFLICT when two-factor is already on.',
      body: TotpEnrolBody,
      response: { 200: TotpEnrolmentSchema, ...errors, 409: ErrorSchema }
    }
  }, async (request) => {
    const user = await app.prisma.user.findUnique({ where: { id: request.userId }, select: { username: true, passwordHash: true } })
    if (user === null) throw Errors.invalidToken()
    if (!await verifyPassword(request.body.password, user.passwordHash)) throw forbidden('Current password is incorrect')
    return await totp.enrol(request.userId, user.username)
  })

  app.post('/totp/confirm', {
    config: { rateLimit },
    schema: {
      ...common,
      operationId: 'confirmTotp',
      summary: 'Turn two-factor sign-in on with a current code',
      description: 'A current code of the enrolled secret turns two-factor on and returns ten single-use recovery codes: shown this once, stored only hashed.',
      body: TwoFactorCodeBody,
      response: { 200: RecoveryCodesSchema, ...errors, 404: ErrorSchema, 409: ErrorSchema }
    }
  }, async (request) => await totp.confirm(request.userId, request.body.code))

  app.post('/totp/disable', {
    config: { rateLimit },
    schema: {
      ...common,
      operationId: 'disableTotp',
      summary: 'Turn two-factor sign-in off',
      description: 'Takes a current code or an unused recovery code: a session alone is not enough. Removes the secret and the recovery codes.',
      body: TwoFactorCodeBody,
      response: { 204: Type.Null(), ...errors }
    }
  }, async (request, reply) => {
    await totp.disable(request.userId, request.body.code)
    return await reply.status(204).send(null)
  })
}
