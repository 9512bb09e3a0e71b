import type { App } from '../../../src/app.js'
import type { TestUser } from '../../helper.js'
import { assert, createCredential, type SoftCredential, type Tweaks } from './passkey-authenticator.js'

export const RP = { WEBAUTHN_RP_ID: 'chat.example.com', WEBAUTHN_ORIGINS: 'https://chat.example.com' }
export const ORIGIN = 'https://chat.example.com'

export const registrationOptions = async (app: App, u: Pick<TestUser, 'auth'>) =>
  await app.inject({ method: 'POST', url: '/api/auth/passkeys/register/options', headers: u.auth, payload: {} })

export const finishRegistration = async (app: App, u: Pick<TestUser, 'auth'>, response: unknown, name?: string) =>
  await app.inject({ method: 'POST', url: '/api/auth/passkeys/register', headers: u.auth, payload: name === undefined ? { response } : { response, name } })

/** Registers a software passkey for `u` through the routes; throws unless it was created. */
export async function addPasskey (app: App, u: Pick<TestUser, 'auth'>, name = 'Laptop', tweaks: Tweaks = {}): Promise<{ credential: SoftCredential, id: string }> {
  const options = await registrationOptions(app, u)
  if (options.statusCode !== 200) throw new Error(`options: ${options.statusCode} ${options.body}`)
  const { credential, response } = createCredential(options.json(), ORIGIN, tweaks)
  const done = await finishRegistration(app, u, response, name)
  if (done.statusCode !== 201) throw new Error(`register: ${done.statusCode} ${done.body}`)
  return { credential, id: (done.json() as { id: string }).id }
}

export const signInOptions = async (app: App, username?: string) =>
  await app.inject({ method: 'POST', url: '/api/auth/login/passkey/options', payload: username === undefined ? {} : { username } })

export const signIn = async (app: App, response: unknown) =>
  await app.inject({ method: 'POST', url: '/api/auth/login/passkey', payload: { response } })

/** Options, then the credential's assertion: the sign-in answer. */
export async function signInWith (app: App, credential: SoftCredential, tweaks: Tweaks = {}, username?: string) {
  const options = await signInOptions(app, username)
  if (options.statusCode !== 200) throw new Error(`sign-in options: ${options.statusCode} ${options.body}`)
  return await signIn(app, assert(credential, options.json(), ORIGIN, tweaks))
}
