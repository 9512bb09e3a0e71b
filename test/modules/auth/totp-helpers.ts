import { generate } from 'otplib'
import type { App } from '../../../src/app.js'
import type { TestUser } from '../../helper.js'

/** The code an authenticator shows for `secret`, `stepsAhead` 30-second steps from now. */
export const codeFor = async (secret: string, stepsAhead = 0): Promise<string> =>
  await generate({ secret, epoch: Math.floor(Date.now() / 1000) + stepsAhead * 30 })

/** Enrols and confirms TOTP for `u` through the routes; its secret and recovery codes. */
export async function enableTotp (app: App, u: Pick<TestUser, 'auth'>): Promise<{ secret: string, recoveryCodes: string[] }> {
  const enrol = await app.inject({ method: 'POST', url: '/api/auth/totp/enrol', headers: u.auth, payload: { password: 'correct horse battery' } })
  if (enrol.statusCode !== 200) throw new Error(`enrol failed: ${enrol.statusCode} ${enrol.body}`)
  const { secret } = enrol.json() as { secret: string }
  const confirm = await app.inject({ method: 'POST', url: '/api/auth/totp/confirm', headers: u.auth, payload: { code: await codeFor(secret, -1) } })
  if (confirm.statusCode !== 200) throw new Error(`confirm failed: ${confirm.statusCode} ${confirm.body}`)
  return { secret, recoveryCodes: (confirm.json() as { recoveryCodes: string[] }).recoveryCodes }
}

/** The password step: the challenge of a two-factor account (throws when a session came back). */
export async function passwordStep (app: App, username: string, password = 'correct horse battery'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } })
  const body = res.json() as { secondFactor?: { challenge: string } }
  if (res.statusCode !== 200 || body.secondFactor === undefined) throw new Error(`no challenge: ${res.statusCode} ${res.body}`)
  return body.secondFactor.challenge
}

export const secondStep = async (app: App, challenge: string, code: string) =>
  await app.inject({ method: 'POST', url: '/api/auth/login/second-factor', payload: { challenge, code } })
