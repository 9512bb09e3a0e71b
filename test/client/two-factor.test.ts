// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules/auth/totp.test.ts
import t from 'tap'
import { ClientError, createClient, SecondFactorRequiredError, type Tokens } from '@relay-im/client'
import { codeFor } from '../modules/auth/totp-helpers.js'
import { clientFor, registerUser, server } from './fixtures.js'

const PASSWORD = 'correct horse battery'

t.test('the SDK walks enrolment and the two-step sign-in, with typed errors', async (t) => {
  const srv = await server(t, { TOTP_MAX_FAILURES: 3 })
  const user = await registerUser(srv.app)
  const owner = clientFor(t, srv, user)
  t.same(await owner.totpStatus(), { enabled: false, recoveryCodesLeft: 0 })
  const stolen = await owner.enrolTotp('not my password').catch((err: unknown) => err)
  t.ok(stolen instanceof ClientError && stolen.code === 'FORBIDDEN', 'enrolling takes the password')
  const { secret, otpauthUrl } = await owner.enrolTotp(PASSWORD)
  t.match(otpauthUrl, new RegExp(`^otpauth://totp/.*${user.username}`))
  const wrong = await owner.confirmTotp('000000').catch((err: unknown) => err)
  t.ok(wrong instanceof ClientError && wrong.code === 'FORBIDDEN', 'a wrong confirmation code is FORBIDDEN')
  const { recoveryCodes } = await owner.confirmTotp(await codeFor(secret))
  t.equal(recoveryCodes.length, 10)

  const device = createClient({ url: srv.url })
  t.teardown(() => { device.close() })
  const announced: Tokens[] = []
  device.on('tokens', (x) => announced.push(x))
  const err = await device.login({ username: user.username, password: PASSWORD }).catch((e: unknown) => e)
  t.ok(err instanceof SecondFactorRequiredError, 'login throws SecondFactorRequiredError')
  if (!(err instanceof SecondFactorRequiredError)) return
  t.equal(err.code, 'SECOND_FACTOR_REQUIRED')
  t.equal(err.status, 0)
  t.same(err.methods, ['totp', 'recovery'])
  t.equal(announced.length, 0, 'no tokens from the password alone')
  t.equal(device.user, undefined)

  const bad = await device.completeSignIn(err.challenge, '000000').catch((e: unknown) => e)
  t.ok(bad instanceof ClientError && bad.code === 'UNAUTHORIZED', 'a wrong code is UNAUTHORIZED')
  const session = await device.completeSignIn(err.challenge, await codeFor(secret, 1))
  t.equal(session.user.id, user.id)
  t.equal(device.user?.id, user.id)
  t.equal(announced.length, 1, 'the session is announced with tokens')
  t.equal((await device.me()).id, user.id, 'and it works')

  // Three wrong codes in a row (the sign-in reset the count) lock the factor: RATE_LIMITED with a wait.
  for (let i = 0; i < 3; i++) {
    const again = await device.login({ username: user.username, password: PASSWORD }).catch((e: unknown) => e) as SecondFactorRequiredError
    await device.completeSignIn(again.challenge, '000001').catch(() => {})
  }
  const locked = await device.login({ username: user.username, password: PASSWORD }).catch((e: unknown) => e) as SecondFactorRequiredError
  const limited = await device.completeSignIn(locked.challenge, recoveryCodes[0]!).catch((e: unknown) => e)
  t.ok(limited instanceof ClientError && limited.code === 'RATE_LIMITED' && (limited.retryAfterMs ?? 0) > 0, 'locked: RATE_LIMITED with retryAfterMs')

  await srv.app.prisma.totpFactor.update({ where: { userId: user.id }, data: { lockedUntil: null } })
  await owner.disableTotp(recoveryCodes[0]!)
  t.same(await owner.totpStatus(), { enabled: false, recoveryCodesLeft: 0 })
  t.equal((await device.login({ username: user.username, password: PASSWORD })).user.id, user.id, 'the password alone signs in again')
})
