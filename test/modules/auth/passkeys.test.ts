// Passkeys (WebAuthn): registration, sign-in with and without a username, list/rename/remove,
// and the attacks on them: replayed, forged, expired and borrowed challenges, wrong origin and
// relying party id, unknown, removed and other people's credentials, a counter going backwards,
// concurrent use, garbage and huge payloads. The responses come from a software authenticator
// (passkey-authenticator.ts) and are checked by the real @simplewebauthn/server.
// Over 20 s under load (about 50 s at load 19 on 2 cores): nine apps on fresh stores, each walking registration and sign-in with real ES256 signatures.
import t from 'tap'
import { build, registerUser } from '../../helper.js'
import { loadConfig } from '../../../src/config.js'
import { assert, createCredential } from './passkey-authenticator.js'
import { addPasskey, finishRegistration, ORIGIN, registrationOptions, RP, signIn, signInOptions, signInWith } from './passkey-helpers.js'
import { enableTotp } from './totp-helpers.js'

t.test('register, list, rename, sign in without and with a username, remove with the password', async (t) => {
  const app = await build(t, RP)
  const u = await registerUser(app)

  const options = await registrationOptions(app, u)
  t.equal(options.statusCode, 200)
  const opts = options.json()
  t.equal(opts.rp.id, 'chat.example.com')
  t.equal(opts.user.name, u.username)
  t.equal(opts.authenticatorSelection.residentKey, 'required', 'a discoverable credential (usernameless sign-in)')
  t.same(opts.excludeCredentials, [])
  t.equal(await app.prisma.passkeyChallenge.count({ where: { userId: u.id, purpose: 'registration' } }), 1)
  t.equal(await app.prisma.passkeyChallenge.count({ where: { challengeHash: opts.challenge } }), 0, 'the challenge is stored hashed')

  const { credential, response } = createCredential(opts, ORIGIN)
  const created = await finishRegistration(app, u, response, '  My laptop ')
  t.equal(created.statusCode, 201, created.body)
  const pk = created.json()
  t.equal(pk.name, 'My laptop', 'the name is stored trimmed')
  t.equal(pk.lastUsedAt, null)
  t.notOk('publicKey' in pk, 'the public key is not handed out')
  const row = await app.prisma.passkey.findUniqueOrThrow({ where: { id: pk.id } })
  t.equal(row.credentialId, response.id)
  t.ok(row.publicKey.length > 60, 'the COSE public key is stored')
  t.equal(await app.prisma.passkeyChallenge.count({ where: { userId: u.id } }), 0, 'the challenge is spent')

  const again = (await registrationOptions(app, u)).json()
  t.same(again.excludeCredentials.map((c: { id: string }) => c.id), [response.id], 'a passkey already registered is excluded')

  const list = await app.inject({ method: 'GET', url: '/api/auth/passkeys', headers: u.auth })
  t.same(list.json().map((p: { id: string }) => p.id), [pk.id])

  const renamed = await app.inject({ method: 'PATCH', url: `/api/auth/passkeys/${pk.id}`, headers: u.auth, payload: { name: 'Phone' } })
  t.equal(renamed.statusCode, 200)
  t.equal(renamed.json().name, 'Phone')

  const usernameless = (await signInOptions(app)).json()
  t.equal(usernameless.rpId, 'chat.example.com')
  t.same(usernameless.allowCredentials ?? [], [], 'no username: any discoverable passkey')
  const session = await signIn(app, assert(credential, usernameless, ORIGIN))
  t.equal(session.statusCode, 200, session.body)
  t.equal(session.json().user.id, u.id)
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${session.json().accessToken}` } })).statusCode, 200, 'the session works')
  const used = await app.prisma.passkey.findUniqueOrThrow({ where: { id: pk.id } })
  t.equal(Number(used.counter), 1, 'the counter moved on')
  t.ok(used.lastUsedAt !== null)

  const named = (await signInOptions(app, u.username.toUpperCase())).json()
  t.same(named.allowCredentials.map((c: { id: string }) => c.id), [response.id], 'with a username: that account\'s passkeys')
  t.equal((await signIn(app, assert(credential, named, ORIGIN))).statusCode, 200)

  const refused = await app.inject({ method: 'DELETE', url: `/api/auth/passkeys/${pk.id}`, headers: u.auth, payload: { password: 'not the password' } })
  t.equal(refused.statusCode, 403, 'removing takes the password, not the session alone')
  t.equal(await app.prisma.passkey.count({ where: { userId: u.id } }), 1, 'nothing removed')
  const removed = await app.inject({ method: 'DELETE', url: `/api/auth/passkeys/${pk.id}`, headers: u.auth, payload: { password: 'correct horse battery' } })
  t.equal(removed.statusCode, 204)
  const after = await signInWith(app, credential)
  t.equal(after.statusCode, 401, 'a removed passkey signs nobody in')
  t.equal(after.json().error.code, 'UNAUTHORIZED')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/auth/passkeys/${pk.id}`, headers: u.auth, payload: { password: 'correct horse battery' } })).statusCode, 404)
})

t.test('challenges: single use, expiring, bound to their purpose and user', async (t) => {
  const app = await build(t, RP)
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  const { credential } = await addPasskey(app, alice)

  const options = (await signInOptions(app)).json()
  const response = assert(credential, options, ORIGIN)
  t.equal((await signIn(app, response)).statusCode, 200)
  const replay = await signIn(app, response)
  t.equal(replay.statusCode, 401, 'a replayed sign-in response is refused')
  t.match(replay.json().error.message, /challenge/)

  const forged = await signIn(app, assert(credential, { ...options, challenge: 'A'.repeat(43) }, ORIGIN))
  t.equal(forged.statusCode, 401, 'a challenge the server never issued')

  const stale = (await signInOptions(app)).json()
  await app.prisma.passkeyChallenge.updateMany({ where: { purpose: 'authentication', userId: null }, data: { expiresAt: new Date(Date.now() - 1000) } })
  t.equal((await signIn(app, assert(credential, stale, ORIGIN))).statusCode, 401, 'an expired challenge')

  const registration = (await registrationOptions(app, alice)).json()
  t.equal((await signIn(app, assert(credential, { challenge: registration.challenge, rpId: 'chat.example.com' }, ORIGIN))).statusCode, 401, 'a registration challenge does not sign in')

  const bobs = (await registrationOptions(app, bob)).json()
  const { response: onBobs } = createCredential(bobs, ORIGIN)
  t.equal((await finishRegistration(app, alice, onBobs)).statusCode, 401, 'someone else\'s registration challenge')
  t.equal(await app.prisma.passkey.count({ where: { userId: alice.id } }), 1, 'nothing registered')

  const signInChallenge = (await signInOptions(app)).json()
  const { response: onSignIn } = createCredential({ ...signInChallenge, rp: { id: 'chat.example.com' }, user: { id: 'x' } }, ORIGIN)
  t.equal((await finishRegistration(app, alice, onSignIn)).statusCode, 401, 'a sign-in challenge does not register')

  const wrongType = (await signInOptions(app)).json()
  t.equal((await signIn(app, assert(credential, wrongType, ORIGIN, { type: 'webauthn.create' }))).statusCode, 401, 'clientData type webauthn.create')
})

t.test('wrong origin or relying party id: refused, nothing stored', async (t) => {
  const app = await build(t, RP)
  const u = await registerUser(app)
  for (const tweaks of [{ origin: 'https://evil.example.net' }, { origin: 'http://chat.example.com' }, { rpId: 'example.com' }, { rpId: 'evil.example.net' }]) {
    const opts = (await registrationOptions(app, u)).json()
    const { response } = createCredential(opts, ORIGIN, tweaks)
    const res = await finishRegistration(app, u, response)
    t.equal(res.statusCode, 401, `registration with ${JSON.stringify(tweaks)}`)
  }
  t.equal(await app.prisma.passkey.count({ where: { userId: u.id } }), 0)

  const { credential } = await addPasskey(app, u)
  for (const tweaks of [{ origin: 'https://evil.example.net' }, { rpId: 'evil.example.net' }]) {
    const res = await signInWith(app, credential, tweaks)
    t.equal(res.statusCode, 401, `sign-in with ${JSON.stringify(tweaks)}`)
  }
  const tampered = assert(credential, (await signInOptions(app)).json(), ORIGIN) as { response: { signature: string } }
  const sig = Buffer.from(tampered.response.signature, 'base64url')
  sig.writeUInt8(sig.readUInt8(sig.length - 1) ^ 1, sig.length - 1)
  tampered.response.signature = sig.toString('base64url')
  t.equal((await signIn(app, tampered)).statusCode, 401, 'a signature that does not verify')
})

t.test('unknown, someone else\'s and cloned credentials', async (t) => {
  const app = await build(t, RP)
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  const { credential: alices } = await addPasskey(app, alice)
  const { credential: bobs, id: bobsId } = await addPasskey(app, bob)

  const handle = assert(alices, (await signInOptions(app)).json(), ORIGIN) as { response: { userHandle: string } }
  handle.response.userHandle = Buffer.from(bob.id).toString('base64url')
  t.equal((await signIn(app, handle)).statusCode, 401, 'a user handle naming someone else than the passkey\'s owner')

  const { credential: stranger } = createCredential({ challenge: 'x', rp: { id: 'chat.example.com' }, user: { id: 'y' } }, ORIGIN)
  const unknown = await signInWith(app, stranger)
  t.equal(unknown.statusCode, 401, 'a credential registered nowhere')
  t.equal(unknown.json().error.message, 'Passkey not recognised')

  t.equal((await signInWith(app, bobs, {}, alice.username)).statusCode, 401, 'options for alice answered with bob\'s passkey')
  t.equal((await signInWith(app, alices, {}, alice.username)).statusCode, 200)

  t.equal((await app.inject({ method: 'PATCH', url: `/api/auth/passkeys/${bobsId}`, headers: alice.auth, payload: { name: 'mine now' } })).statusCode, 404, 'renaming someone else\'s passkey')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/auth/passkeys/${bobsId}`, headers: alice.auth, payload: { password: 'correct horse battery' } })).statusCode, 404, 'removing someone else\'s passkey')
  t.equal((await app.prisma.passkey.findUniqueOrThrow({ where: { id: bobsId } })).name, 'Laptop', 'unchanged')

  // Alice's credential id registered again for bob (another authenticator claiming it): refused.
  const opts = (await registrationOptions(app, bob)).json()
  const { response: dup } = createCredential(opts, ORIGIN, { id: alices.id })
  const conflict = await finishRegistration(app, bob, dup)
  t.equal(conflict.statusCode, 409, 'credential ids are unique across users')
  t.equal(await app.prisma.passkey.count({ where: { userId: bob.id } }), 1)

  t.equal((await signInWith(app, alices, { counter: 10 })).statusCode, 200)
  const cloned = await signInWith(app, alices, { counter: 5 })
  t.equal(cloned.statusCode, 401, 'a counter that went backwards (a cloned authenticator)')
  t.equal((await signInWith(app, alices, { counter: 10 })).statusCode, 401, 'the same counter again')
  t.equal(Number((await app.prisma.passkey.findFirstOrThrow({ where: { userId: alice.id } })).counter), 10, 'the stored counter did not move back')
  t.equal((await signInWith(app, alices, { counter: 11 })).statusCode, 200)
})

t.test('concurrent registration and sign-in', async (t) => {
  const app = await build(t, RP)
  const u = await registerUser(app)
  const opts = (await registrationOptions(app, u)).json()
  const { response } = createCredential(opts, ORIGIN)
  const both = await Promise.all([finishRegistration(app, u, response), finishRegistration(app, u, response)])
  t.same(both.map((r) => r.statusCode).sort(), [201, 401], 'one response sent twice at once registers once')

  const [o1, o2] = await Promise.all([registrationOptions(app, u), registrationOptions(app, u)])
  const r1 = createCredential(o1.json(), ORIGIN)
  const r2 = createCredential(o2.json(), ORIGIN)
  const two = await Promise.all([finishRegistration(app, u, r1.response, 'one'), finishRegistration(app, u, r2.response, 'two')])
  t.same(two.map((r) => r.statusCode), [201, 201], 'two authenticators at once: both registered')
  t.equal(await app.prisma.passkey.count({ where: { userId: u.id } }), 3)

  const signInOpts = (await signInOptions(app)).json()
  const assertion = assert(r1.credential, signInOpts, ORIGIN)
  const race = await Promise.all([signIn(app, assertion), signIn(app, assertion)])
  t.same(race.map((r) => r.statusCode).sort(), [200, 401], 'one assertion sent twice at once signs in once')
})

t.test('garbage and huge payloads: clear errors, nothing changes', async (t) => {
  const app = await build(t, RP)
  const u = await registerUser(app)
  const { credential } = await addPasskey(app, u)
  const good = assert(credential, (await signInOptions(app)).json(), ORIGIN) as { response: Record<string, unknown> }
  const bad: Array<[string, unknown, number]> = [
    ['no response', {}, 400],
    ['not base64url', { ...good, response: { ...good.response, clientDataJSON: 'not base64!' } }, 400],
    ['huge clientDataJSON', { ...good, response: { ...good.response, clientDataJSON: 'A'.repeat(5000) } }, 400],
    ['huge credential id', { ...good, id: 'A'.repeat(2000), rawId: 'A'.repeat(2000) }, 400],
    ['wrong type', { ...good, type: 'password' }, 400],
    ['extra field', { ...good, extra: 1 }, 400],
    ['NUL in a field', { ...good, id: 'abc\u0000' }, 400],
    ['clientData not JSON', { ...good, response: { ...good.response, clientDataJSON: Buffer.from('garbage').toString('base64url') } }, 401],
    ['authenticatorData garbage', { ...good, response: { ...good.response, authenticatorData: 'AAAA' } }, 401]
  ]
  for (const [what, response, status] of bad) {
    const res = await signIn(app, response)
    t.equal(res.statusCode, status, what)
    t.equal(res.json().error.code, status === 400 ? 'VALIDATION' : 'UNAUTHORIZED', what)
  }

  const opts = (await registrationOptions(app, u)).json()
  const { response } = createCredential(opts, ORIGIN) as unknown as { response: { response: Record<string, unknown> } }
  const garbled = { ...response, response: { ...response.response, attestationObject: Buffer.from('not cbor at all').toString('base64url') } }
  t.equal((await finishRegistration(app, u, garbled)).statusCode, 401, 'an attestation object that is not CBOR')
  t.equal((await finishRegistration(app, u, response)).statusCode, 401, 'its challenge was spent by the failed try')
  t.equal((await finishRegistration(app, u, response, 'x'.repeat(65))).statusCode, 400, 'a name over 64 characters')
  t.equal((await finishRegistration(app, u, response, 'a\u202Eb')).statusCode, 400, 'a bidi override in the name')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/login/passkey/options', payload: { username: 'x'.repeat(65) } })).statusCode, 400)
  t.equal(await app.prisma.passkey.count({ where: { userId: u.id } }), 1, 'nothing registered')

  const before = await app.prisma.passkeyChallenge.count({ where: { userId: u.id } })
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/passkeys/register/options', headers: u.auth })).statusCode, 400, 'a bare POST starts nothing')
  t.equal(await app.prisma.passkeyChallenge.count({ where: { userId: u.id } }), before)

  const noAuth = await app.inject({ method: 'GET', url: '/api/auth/passkeys' })
  t.equal(noAuth.statusCode, 401)
})

t.test('an unknown username gets an answer of the same shape; at most 20 passkeys', async (t) => {
  const app = await build(t, RP)
  const u = await registerUser(app)
  const a = (await signInOptions(app, 'nobody_here')).json()
  const b = (await signInOptions(app, 'nobody_here')).json()
  const c = (await signInOptions(app, u.username)).json()
  t.equal(a.allowCredentials.length, 1, 'a stand-in credential')
  t.same(a.allowCredentials, b.allowCredentials, 'the same each time, as a real account\'s would be')
  t.same(Object.keys(a).sort(), Object.keys(c).sort())
  t.equal(c.allowCredentials.length, 1, 'a user without passkeys gets a stand-in too')

  await app.prisma.passkey.createMany({ data: Array.from({ length: 20 }, (_, i) => ({ id: crypto.randomUUID(), userId: u.id, credentialId: `cred${i}`, publicKey: 'x', deviceType: 'singleDevice', name: `k${i}` })) })
  const full = await registrationOptions(app, u)
  t.equal(full.statusCode, 409)
  t.equal(full.json().error.code, 'CONFLICT')
})

t.test('with two-factor on: a user-verified passkey is both factors, one without verification is not', async (t) => {
  const app = await build(t, RP)
  const u = await registerUser(app)
  const { credential } = await addPasskey(app, u)
  await enableTotp(app, u)
  const verified = await signInWith(app, credential, { uv: true })
  t.equal(verified.statusCode, 200)
  t.ok('accessToken' in verified.json(), 'no TOTP step after user verification')
  const tokenRow = await app.prisma.refreshToken.findFirstOrThrow({ where: { userId: u.id, secondFactor: true } })
  t.ok(tokenRow.secondFactor, 'the session counts as second-factor')
  const presence = await signInWith(app, credential, { uv: false })
  t.equal(presence.statusCode, 200)
  t.notOk('accessToken' in presence.json(), 'user presence only: no session yet')
  t.same(presence.json().secondFactor.methods, ['totp', 'recovery'])

  await app.prisma.user.update({ where: { id: u.id }, data: { suspendedAt: new Date() } })
  const suspended = await signInWith(app, credential)
  t.equal(suspended.statusCode, 403, 'a suspended account')
  await app.prisma.user.update({ where: { id: u.id }, data: { suspendedAt: null } })
  const deleted = await app.inject({ method: 'DELETE', url: '/api/users/me', headers: u.auth, payload: { password: 'correct horse battery' } })
  t.equal(deleted.statusCode, 204, deleted.body)
  t.equal(await app.prisma.passkey.count({ where: { userId: u.id } }), 0, 'deleting the account deletes its passkeys')
  t.equal((await signInWith(app, credential)).statusCode, 401, 'a deleted account')
})

t.test('without configuration the relying party is the request\'s own host; the settings are checked', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  const headers = { ...u.auth, host: 'localhost:3999' }
  const opts = (await app.inject({ method: 'POST', url: '/api/auth/passkeys/register/options', headers, payload: {} })).json()
  t.equal(opts.rp.id, 'localhost')
  const { response } = createCredential(opts, 'http://localhost:3999')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/passkeys/register', headers, payload: { response } })).statusCode, 201)
  const { response: other } = createCredential((await app.inject({ method: 'POST', url: '/api/auth/passkeys/register/options', headers, payload: {} })).json(), 'http://localhost:4000')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/passkeys/register', headers, payload: { response: other } })).statusCode, 401, 'another origin than the page\'s')

  t.same(loadConfig({ JWT_SECRET: 'x'.repeat(32), WEBAUTHN_ORIGINS: 'https://chat.example.com' }).webauthn, { id: 'chat.example.com', origins: ['https://chat.example.com'] })
  t.same(loadConfig({ JWT_SECRET: 'x'.repeat(32), WEBAUTHN_RP_ID: 'example.com' }).webauthn, { id: 'example.com', origins: ['https://example.com'] })
  t.throws(() => loadConfig({ JWT_SECRET: 'x'.repeat(32), WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://evil.net' }), { message: /WEBAUTHN_ORIGINS/ })
  t.throws(() => loadConfig({ JWT_SECRET: 'x'.repeat(32), WEBAUTHN_ORIGINS: 'http://chat.example.com' }), { message: /WEBAUTHN_ORIGINS/ }, 'plain http only for localhost')
  t.throws(() => loadConfig({ JWT_SECRET: 'x'.repeat(32), WEBAUTHN_ORIGINS: 'https://chat.example.com/path' }), { message: /WEBAUTHN_ORIGINS/ })
})
