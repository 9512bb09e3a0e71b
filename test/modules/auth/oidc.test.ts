// OpenID Connect sign-in against a real provider (oidc-provider) on 127.0.0.1: first sign-in,
// both new-account policies, link and unlink, two-factor, and the attacks on the flow (wrong
// or replayed state, replayed code, nonce and issuer mismatch, expired start, SSRF checks).
// About 45 s at load average 15 (2 cores shared): twenty apps, each walking a real provider's
// login and consent pages; the provider, not the server, is most of it.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, registerUser } from '../../helper.js'
import type { App } from '../../../src/app.js'
import type { RawConfig } from '../../../src/config.js'
import { CLIENT_ID, CLIENT_SECRET, accountClaims, startProvider, type LocalProvider } from './oidc-provider.js'
import { codeFor, enableTotp, secondStep } from './totp-helpers.js'

const PUBLIC = 'http://relay.test'
const CALLBACK = `${PUBLIC}/api/auth/oidc/local/callback`
const provider = await startProvider(t)
provider.addClient(CALLBACK)
provider.addClient(`${PUBLIC}/api/auth/oidc/second/callback`)

const providers = (issuer = provider.issuer) => JSON.stringify([{ id: 'local', name: 'Local IdP', issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: ['openid', 'profile'] }])
const oidcApp = async (tt: Parameters<typeof build>[0], extra: Partial<RawConfig> = {}): Promise<App> =>
  await build(tt, { OIDC_PROVIDERS: providers(), OIDC_PUBLIC_URL: PUBLIC, OUTBOUND_ALLOWED_HOSTS: provider.hostPort, ...extra })
const newLogin = (): string => `alice-${randomUUID().slice(0, 8)}`

async function start (app: App, p: LocalProvider = provider): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/api/auth/oidc/local/start' })
  if (res.statusCode !== 200) throw new Error(`start: ${res.statusCode} ${res.body}`)
  const url = (res.json() as { url: string }).url
  if (!url.startsWith(p.issuer)) throw new Error(`not the provider: ${url}`)
  return url
}

/** The callback as the browser would call it; the fragment of the page URL it redirects to. */
async function callback (app: App, callbackUrl: string): Promise<URLSearchParams> {
  const u = new URL(callbackUrl)
  const res = await app.inject({ method: 'GET', url: u.pathname + u.search })
  if (res.statusCode !== 302) throw new Error(`callback: ${res.statusCode} ${res.body}`)
  const location = String(res.headers.location)
  if (!location.startsWith(`${PUBLIC}/#`)) throw new Error(`not the page: ${location}`)
  return new URLSearchParams(location.slice(location.indexOf('#') + 1))
}

const exchange = async (app: App, code: string) => await app.inject({ method: 'POST', url: '/api/auth/oidc/exchange', payload: { code } })

/** start → provider → callback → exchange: the exchange's response. */
async function signIn (app: App, login: string) {
  const back = await callback(app, await provider.signIn(await start(app), login))
  const code = back.get('oidc')
  if (code === null) throw new Error(`no code: ${back.toString()}`)
  return await exchange(app, code)
}

t.test('the provider list says which providers and whether password sign-up is on', async (t) => {
  const app = await oidcApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/auth/oidc/providers' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { providers: [{ id: 'local', name: 'Local IdP' }], passwordSignUp: true })
  t.notMatch(res.body, /secret|issuer/i, 'no client secret or issuer leaks')
})

t.test('a first sign-in creates an account linked by issuer and subject; the next one finds it', async (t) => {
  const app = await oidcApp(t)
  const login = newLogin()
  accountClaims.set(login, { name: 'Alice \u202EEvil', preferred_username: 'Ålice Müller!!' })
  const url = new URL(await start(app))
  t.equal(url.searchParams.get('code_challenge_method'), 'S256', 'PKCE')
  t.ok((url.searchParams.get('state') ?? '').length >= 43, 'a long random state')
  t.ok(url.searchParams.get('nonce'), 'a nonce')
  t.equal(url.searchParams.get('redirect_uri'), CALLBACK)
  const flow = await app.prisma.oidcFlow.findFirstOrThrow({ orderBy: { createdAt: 'desc' } })
  t.not(flow.stateHash, url.searchParams.get('state'), 'the state is stored hashed only')

  const back = await callback(app, await provider.signIn(url.href, login))
  const code = back.get('oidc')!
  t.match(code, /^[A-Za-z0-9_-]{43}$/)
  const res = await exchange(app, code)
  t.equal(res.statusCode, 200)
  const session = res.json()
  t.ok(session.accessToken && session.refreshToken)
  t.match(session.user.username, /^alicemuller(-[0-9a-z]+)?$/, 'username folded to the handle alphabet')
  t.equal(session.user.displayName, session.user.username, 'a display name with a bidi control is not taken')
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${session.accessToken}` } })).statusCode, 200)
  const identity = await app.prisma.oidcIdentity.findFirstOrThrow({ where: { userId: session.user.id } })
  t.same({ issuer: identity.issuer, subject: identity.subject, provider: identity.provider }, { issuer: provider.issuer, subject: login, provider: 'local' })

  t.equal((await exchange(app, code)).statusCode, 401, 'the one-time code is single use')
  const again = await signIn(app, login)
  t.equal(again.json().user.id, session.user.id, 'the same subject signs in to the same account')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: session.user.username, password: '!' } })).statusCode, 401, 'no password sign-in for it')
})

t.test('two subjects with the same preferred name get different usernames', async (t) => {
  const app = await oidcApp(t)
  const [a, b] = [newLogin(), newLogin()]
  accountClaims.set(a, { preferred_username: `same${a.slice(-8)}` })
  accountClaims.set(b, { preferred_username: `same${a.slice(-8)}` })
  const ua = (await signIn(app, a)).json().user
  const ub = (await signIn(app, b)).json().user
  t.not(ua.id, ub.id)
  t.not(ua.username, ub.username)
  t.equal(ua.username, `same${a.slice(-8)}`)
})

t.test('OIDC_NEW_ACCOUNTS=refuse: an unlinked subject is refused with FORBIDDEN not_linked, nothing created', async (t) => {
  const app = await oidcApp(t, { OIDC_NEW_ACCOUNTS: 'refuse' })
  const login = newLogin()
  const before = await app.prisma.user.count()
  const back = await callback(app, await provider.signIn(await start(app), login))
  t.equal(back.get('oidc-error'), 'FORBIDDEN')
  t.equal(back.get('oidc-reason'), 'not_linked')
  t.equal(back.get('oidc'), null)
  t.equal(await app.prisma.user.count(), before)
  t.equal(await app.prisma.oidcIdentity.count({ where: { subject: login } }), 0)
})

t.test('a wrong, forged, other provider\'s or missing state is refused before the code is redeemed', async (t) => {
  const app = await oidcApp(t)
  const cb = new URL(await provider.signIn(await start(app), newLogin()))
  const code = cb.searchParams.get('code')!
  for (const state of ['', 'x'.repeat(43), 'A'.repeat(300)]) {
    const bad = new URL(cb)
    bad.searchParams.set('state', state)
    const back = await callback(app, bad.href)
    t.same([back.get('oidc-error'), back.get('oidc-reason')], ['UNAUTHORIZED', 'state'], `state ${JSON.stringify(state.slice(0, 10))}`)
  }
  const none = new URL(cb)
  none.searchParams.delete('state')
  t.equal((await callback(app, none.href)).get('oidc-reason'), 'state')
  // The right code and state still work afterwards: the wrong tries did not spend them.
  t.ok(code, 'the provider gave a code')
  t.ok((await callback(app, cb.href)).get('oidc'), 'the real callback still signs in')
})

t.test('a replayed callback and a replayed code are refused', async (t) => {
  const app = await oidcApp(t)
  const cb = await provider.signIn(await start(app), newLogin())
  t.ok((await callback(app, cb)).get('oidc'))
  const replay = await callback(app, cb)
  t.same([replay.get('oidc-error'), replay.get('oidc-reason')], ['UNAUTHORIZED', 'state'], 'the same callback again: its state is spent')
  // The old code with a fresh, valid state: the provider refuses it (and PKCE would not match).
  const fresh = new URL(await start(app))
  const withOldCode = new URL(cb)
  withOldCode.searchParams.set('state', fresh.searchParams.get('state')!)
  const back = await callback(app, withOldCode.href)
  t.same([back.get('oidc-error'), back.get('oidc-reason')], ['UNAUTHORIZED', 'provider'])
})

t.test('two callbacks with one state at once: exactly one signs in', async (t) => {
  const app = await oidcApp(t)
  const cb = await provider.signIn(await start(app), newLogin())
  const results = await Promise.all([callback(app, cb), callback(app, cb)])
  t.equal(results.filter((r) => r.get('oidc') !== null).length, 1)
})

t.test('an ID token whose nonce is not the one of the state is refused', async (t) => {
  const app = await oidcApp(t)
  const url = new URL(await start(app))
  url.searchParams.set('nonce', 'attacker-chosen-nonce-value')
  const login = newLogin()
  const back = await callback(app, await provider.signIn(url.href, login))
  t.same([back.get('oidc-error'), back.get('oidc-reason')], ['UNAUTHORIZED', 'provider'])
  t.equal(await app.prisma.oidcIdentity.count({ where: { subject: login } }), 0, 'no account made')
})

t.test('a provider whose discovery names another issuer is refused (INTERNAL 503 at start)', async (t) => {
  const other = await startProvider(t, { issuerHost: 'localhost' })
  const configured = other.issuer.replace('localhost', '127.0.0.1')
  const app = await build(t, { OIDC_PROVIDERS: providers(configured), OIDC_PUBLIC_URL: PUBLIC, OUTBOUND_ALLOWED_HOSTS: other.hostPort })
  const flows = await app.prisma.oidcFlow.count()
  const res = await app.inject({ method: 'GET', url: '/api/auth/oidc/local/start' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().error.code, 'INTERNAL')
  t.equal(await app.prisma.oidcFlow.count(), flows, 'no flow started')
  // The same provider configured under its own issuer name works: the refusal was the mismatch.
  other.addClient(CALLBACK)
  const right = await build(t, { OIDC_PROVIDERS: providers(other.issuer), OIDC_PUBLIC_URL: PUBLIC, OUTBOUND_ALLOWED_HOSTS: `${other.hostPort},${other.issuer.slice('http://'.length)}` })
  t.equal((await right.inject({ method: 'GET', url: '/api/auth/oidc/local/start' })).statusCode, 200)
})

t.test('an issuer not in OUTBOUND_ALLOWED_HOSTS is never fetched (loopback is refused)', async (t) => {
  const app = await build(t, { OIDC_PROVIDERS: providers(), OIDC_PUBLIC_URL: PUBLIC })
  const res = await app.inject({ method: 'GET', url: '/api/auth/oidc/local/start' })
  t.equal(res.statusCode, 503)
})

t.test('an expired start is refused', async (t) => {
  const app = await oidcApp(t)
  const url = new URL(await start(app))
  await app.prisma.oidcFlow.updateMany({ where: { usedAt: null, provider: 'local' }, data: { expiresAt: new Date(Date.now() - 1000) } })
  const back = await callback(app, await provider.signIn(url.href, newLogin()))
  t.same([back.get('oidc-error'), back.get('oidc-reason')], ['UNAUTHORIZED', 'state'])
})

t.test('an expired or unknown one-time code is refused', async (t) => {
  const app = await oidcApp(t)
  const back = await callback(app, await provider.signIn(await start(app), newLogin()))
  await app.prisma.oidcHandoff.updateMany({ where: { usedAt: null }, data: { expiresAt: new Date(Date.now() - 1) } })
  t.equal((await exchange(app, back.get('oidc')!)).statusCode, 401)
  t.equal((await exchange(app, 'x'.repeat(43))).statusCode, 401)
  t.equal((await exchange(app, 'bad code!')).statusCode, 400)
})

t.test('the provider saying no (access_denied) is reported and spends the state', async (t) => {
  const app = await oidcApp(t)
  const state = new URL(await start(app)).searchParams.get('state')!
  const back = await callback(app, `${CALLBACK}?error=access_denied&state=${state}`)
  t.same([back.get('oidc-error'), back.get('oidc-reason')], ['UNAUTHORIZED', 'denied'])
})

t.test('bad input: unknown provider, malformed provider id', async (t) => {
  const app = await oidcApp(t)
  t.equal((await app.inject({ method: 'GET', url: '/api/auth/oidc/nope/start' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/api/auth/oidc/NOPE%00/start' })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/api/auth/oidc/nope/callback?state=x&code=y' })).statusCode, 404)
  const redirect = await app.inject({ method: 'GET', url: '/api/auth/oidc/local/start?redirect=true' })
  t.equal(redirect.statusCode, 302)
  t.ok(String(redirect.headers.location).startsWith(provider.issuer))
})

t.test('link and unlink: a password user links a provider, signs in with it, unlinks it', async (t) => {
  const app = await oidcApp(t)
  const u = await registerUser(app)
  const login = newLogin()
  const linkStart = await app.inject({ method: 'POST', url: '/api/auth/oidc/local/link', headers: u.auth })
  t.equal(linkStart.statusCode, 200)
  const back = await callback(app, await provider.signIn(linkStart.json().url, login))
  t.equal(back.get('oidc-linked'), 'local')
  const ids = (await app.inject({ method: 'GET', url: '/api/auth/oidc/identities', headers: u.auth })).json()
  t.same(ids.identities.map((i: { provider: string }) => i.provider), ['local'])
  t.equal(ids.hasPassword, true)
  t.equal((await signIn(app, login)).json().user.id, u.id, 'the provider now signs in to this account')

  // Another user cannot take the same provider account.
  const mallory = await registerUser(app)
  const steal = await app.inject({ method: 'POST', url: '/api/auth/oidc/local/link', headers: mallory.auth })
  const stolen = await callback(app, await provider.signIn(steal.json().url, login))
  t.same([stolen.get('oidc-error'), stolen.get('oidc-reason')], ['CONFLICT', 'linked_elsewhere'])

  t.equal((await app.inject({ method: 'DELETE', url: '/api/auth/oidc/local/link', headers: mallory.auth })).statusCode, 404, 'not linked there')
  t.equal((await app.inject({ method: 'DELETE', url: '/api/auth/oidc/local/link', headers: u.auth })).statusCode, 204)
  t.equal(await app.prisma.oidcIdentity.count({ where: { userId: u.id } }), 0)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/auth/oidc/local/link' })).statusCode, 401, 'signed in only')
})

t.test('the last way to sign in cannot be unlinked', async (t) => {
  const app = await oidcApp(t)
  const session = (await signIn(app, newLogin())).json()
  const auth = { authorization: `Bearer ${session.accessToken as string}` }
  t.equal((await app.inject({ method: 'GET', url: '/api/auth/oidc/identities', headers: auth })).json().hasPassword, false)
  const res = await app.inject({ method: 'DELETE', url: '/api/auth/oidc/local/link', headers: auth })
  t.equal(res.statusCode, 409)
  t.equal(res.json().error.code, 'CONFLICT')
  t.equal(await app.prisma.oidcIdentity.count({ where: { userId: session.user.id } }), 1)

  // A passkey is a way in too: with one, the provider can go.
  await app.prisma.passkey.create({ data: { id: randomUUID(), userId: session.user.id, credentialId: `cred-${randomUUID()}`, publicKey: 'AQID', deviceType: 'singleDevice', name: 'Laptop' } })
  t.equal((await app.inject({ method: 'DELETE', url: '/api/auth/oidc/local/link', headers: auth })).statusCode, 204, 'unlinked beside a passkey')
  t.equal(await app.prisma.oidcIdentity.count({ where: { userId: session.user.id } }), 0)
})

t.test('PASSWORD_SIGNUP=false: registering is FORBIDDEN, password users still sign in, providers still create accounts', async (t) => {
  const app = await oidcApp(t)
  const existing = await registerUser(app)
  const off = await oidcApp(t, { PASSWORD_SIGNUP: false })
  const res = await off.inject({ method: 'POST', url: '/api/auth/register', payload: { username: `new${randomUUID().slice(0, 8)}`, password: 'correct horse battery' } })
  t.equal(res.statusCode, 403)
  t.equal(res.json().error.code, 'FORBIDDEN')
  if (process.env.TEST_SERVICES !== '1') {
    // PGlite is shared by the apps of a file: the user registered on `app` exists for `off` too.
    t.equal((await off.inject({ method: 'POST', url: '/api/auth/login', payload: { username: existing.username, password: 'correct horse battery' } })).statusCode, 200)
  }
  t.equal((await off.inject({ method: 'GET', url: '/api/auth/oidc/providers' })).json().passwordSignUp, false)
  t.equal((await signIn(off, newLogin())).statusCode, 200)
})

t.test('with two-factor on, the exchange answers the TOTP challenge, not a session', async (t) => {
  const app = await oidcApp(t)
  const u = await registerUser(app)
  const login = newLogin()
  const linkStart = await app.inject({ method: 'POST', url: '/api/auth/oidc/local/link', headers: u.auth })
  await callback(app, await provider.signIn(linkStart.json().url, login))
  const { secret } = await enableTotp(app, u)
  const res = await signIn(app, login)
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.notOk('accessToken' in body, 'no tokens from the provider alone')
  const done = await secondStep(app, body.secondFactor.challenge, await codeFor(secret, 1))
  t.equal(done.statusCode, 200)
  t.equal(done.json().user.id, u.id)
})

t.test('a suspended user signing in through the provider is refused at the exchange', async (t) => {
  const app = await oidcApp(t)
  const session = (await signIn(app, newLogin())).json()
  const login = (await app.prisma.oidcIdentity.findFirstOrThrow({ where: { userId: session.user.id } })).subject
  await app.prisma.user.update({ where: { id: session.user.id }, data: { suspendedAt: new Date() } })
  const res = await signIn(app, login)
  t.equal(res.statusCode, 403)
})

t.test('a deleted account\'s link does not block the person: the next sign-in is a first one again', async (t) => {
  const app = await oidcApp(t)
  const login = newLogin()
  const first = (await signIn(app, login)).json()
  await app.prisma.user.update({ where: { id: first.user.id }, data: { deletedAt: new Date() } })
  const again = await signIn(app, login)
  t.equal(again.statusCode, 200)
  t.not(again.json().user.id, first.user.id, 'a new account, not the deleted one')
  t.equal(await app.prisma.oidcIdentity.count({ where: { subject: login } }), 1)
})

t.test('a link started by a user deleted before the provider sent them back makes no link', async (t) => {
  const app = await oidcApp(t)
  const u = await registerUser(app)
  const login = newLogin()
  const linkStart = await app.inject({ method: 'POST', url: '/api/auth/oidc/local/link', headers: u.auth })
  await app.prisma.user.update({ where: { id: u.id }, data: { deletedAt: new Date() } })
  const back = await callback(app, await provider.signIn(linkStart.json().url, login))
  t.same([back.get('oidc-error'), back.get('oidc-reason')], ['UNAUTHORIZED', 'state'])
  t.equal(await app.prisma.oidcIdentity.count({ where: { subject: login } }), 0)
})

t.test('two unlinks at once of an account\'s only two ways in: one goes, the last one stays', async (t) => {
  const two = JSON.stringify([...JSON.parse(providers()) as object[], { id: 'second', name: 'Second', issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }])
  const app = await oidcApp(t, { OIDC_PROVIDERS: two })
  const session = (await signIn(app, newLogin())).json()
  const auth = { authorization: `Bearer ${session.accessToken as string}` }
  const link = await app.inject({ method: 'POST', url: '/api/auth/oidc/second/link', headers: auth })
  const cb = new URL(await provider.signIn(link.json().url, newLogin()))
  t.equal((await callback(app, cb.href)).get('oidc-linked'), 'second')
  const results = await Promise.all(['local', 'second'].map(async (p) => (await app.inject({ method: 'DELETE', url: `/api/auth/oidc/${p}/link`, headers: auth })).statusCode))
  t.same(results.sort(), [204, 409])
  t.equal(await app.prisma.oidcIdentity.count({ where: { userId: session.user.id } }), 1, 'one way in is left')
})
