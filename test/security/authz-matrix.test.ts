// suite: default only — who may call what is decided in the services, the same on both engines; the store-dependent paths run on both in test/modules
// Over 20 s (about 45 s on the 2-core CI machine): every route and event against six roles,
// with a fresh world for every cell that may write, so that a denied request provably changes no table.
import t from 'tap'
import { createECDH, randomBytes, randomUUID } from 'node:crypto'
import { build, listen } from '../helper.js'
import { hashPassword } from '../../src/lib/password.js'
import { multipart } from '../modules/uploads/helpers.js'
import { connect, refused, openSocket, settle, type Client } from '../modules/presence/helpers.js'
import { listEvents, listRoutes, restErrorProblem, ackErrorProblem, snapshot } from './surface.js'
import type { App } from '../../src/app.js'
import { can, type GroupAction } from '../../src/modules/conversations/index.js'
import { createUrlSigner } from '../../src/modules/uploads/signed-url.js'

/**
 * Authorisation matrix: every HTTP route and every socket event, against five roles around
 * one owner's resources. A route or event without a rule fails the test, so a new one must
 * be given its rule. For each cell: the expected outcome (allowed, or the error code), a
 * denied request changes no table, and no reply or event carries a secret the role is not
 * entitled to.
 *
 * The world (fresh for every cell that may write):
 *   owner    O: owns group G (members O, M, X) and wrote in it (secret text, an uploaded file
 *              with a secret body, a secret group name); friends with M, X and E; received a
 *              pending friend request from N; blocked B after B wrote in their direct chat D2.
 *   member   M: a plain member of G and O's friend.
 *   nonMember N: a registered user with no tie to O except the request N sent.
 *   blocked  B: blocked by O; still a member of the old direct conversation D2.
 *   anonymous: no token.
 *   channel  C: a public channel owned by O, M a member, with a message from O: anyone signed in
 *              reads it and its history; only members write, read-receipt and type in it. E joined
 *              C and O removed them: E is banned from C.
 *   admin    A: a platform admin (users.role, carried in the token) with no tie to O. Every
 *              /api/admin route allows A alone; an outcome not given for A is nonMember's.
 */

type Role = 'owner' | 'member' | 'nonMember' | 'blocked' | 'anonymous' | 'admin'
const ROLES: Role[] = ['anonymous', 'blocked', 'nonMember', 'admin', 'member', 'owner']
const PASSWORD = 'correct horse battery'

interface U { id: string, username: string, token: string, auth: Record<string, string> }

interface World {
  O: U, M: U, N: U, B: U, X: U, E: U, A: U
  /** O's bot, a member of G. */
  Bot: U
  G: string
  /** v2: O's second group (M a plain member), with nothing secret; the invite is to it */
  H: string
  D2: string
  C: string
  gMessageId: string
  /** O's message in C, with a reply in its thread by M. */
  cMessageId: string
  /** O's public poll in G. */
  pollId: string
  uploadId: string
  /** A signed URL of the upload for each signed-in role, as GET /uploads/:id/link would mint it (whether or not the role may). */
  signed: Partial<Record<Role, string>>
  requestId: string
  inviteCode: string
  inviteId: string
  /** O's Web Push subscription. */
  pushId: string
  /** A server key (its id; the key itself is nobody's here: no role holds one). */
  serverKeyId: string
  /** O's scheduled message in G (an hour ahead): O's alone to see, edit and cancel. */
  scheduledId: string
  /** O's passkey: O's alone to list, rename and remove. */
  passkeyId: string
  secrets: { group: string, groupName: string, direct: string, upload: string, botToken: string, scheduled: string }
}

/** Which secrets each role may see. */
const entitled = (w: World, role: Role): string[] => ({
  owner: [w.secrets.group, w.secrets.groupName, w.secrets.direct, w.secrets.upload, w.secrets.scheduled],
  member: [w.secrets.group, w.secrets.groupName, w.secrets.upload],
  blocked: [w.secrets.direct],
  nonMember: [],
  anonymous: [],
  admin: []
})[role]

const user = (w: World, role: Role): U | undefined => ({ owner: w.O, member: w.M, nonMember: w.N, blocked: w.B, anonymous: undefined, admin: w.A })[role]

let hash: Promise<string> | undefined
let n = 0
async function makeUser (app: App, role: 'user' | 'admin' = 'user'): Promise<U> {
  hash ??= hashPassword(PASSWORD, app.config.SCRYPT_LOG_N)
  const id = randomUUID()
  const username = `mx${process.pid % 100000}_${++n}_${id.slice(0, 6)}`
  await app.prisma.user.create({ data: { id, username, displayName: username, passwordHash: await hash, role } })
  const token = app.signAccessToken(id, role)
  return { id, username, token, auth: { authorization: `Bearer ${token}` } }
}

async function ok (app: App, opts: { method: string, url: string, headers?: Record<string, string>, payload?: unknown }): Promise<any> {
  const res = await app.inject(opts as any)
  if (res.statusCode >= 300) throw new Error(`fixture ${opts.url}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? undefined : res.json()
}

/** A browser's PushSubscription.toJSON(), on a public literal address (no DNS needed). */
function pushSubscription (): unknown {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  return { endpoint: `https://93.184.216.34/push/${randomUUID()}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } }
}

/** A well-formed WebAuthn response (as JSON) to a challenge nobody issued. */
function passkeyResponse (kind: 'create' | 'get'): unknown {
  const id = randomBytes(32).toString('base64url')
  const clientDataJSON = Buffer.from(JSON.stringify({ type: `webauthn.${kind}`, challenge: randomBytes(32).toString('base64url'), origin: 'http://localhost' })).toString('base64url')
  const response = kind === 'create'
    ? { clientDataJSON, attestationObject: randomBytes(64).toString('base64url') }
    : { clientDataJSON, authenticatorData: randomBytes(37).toString('base64url'), signature: randomBytes(70).toString('base64url') }
  return { id, rawId: id, type: 'public-key', response, clientExtensionResults: {} }
}

async function makeWorld (app: App): Promise<World> {
  const [O, M, N, B, X, E, A] = [await makeUser(app), await makeUser(app), await makeUser(app), await makeUser(app), await makeUser(app), await makeUser(app), await makeUser(app, 'admin')]
  const tag = randomUUID().slice(0, 8)
  const secrets: Partial<World['secrets']> & Pick<World['secrets'], 'group' | 'groupName' | 'direct' | 'upload'> = { group: `SECRET-G-${tag}`, groupName: `SECRETNAME-${tag}`, direct: `SECRET-D2-${tag}`, upload: `SECRET-U-${tag}` }
  const pairs = [[O, M], [O, X], [O, E], [O, B]] as const
  await app.prisma.friendship.createMany({ data: pairs.flatMap(([a, b]) => [{ userId: a.id, friendId: b.id }, { userId: b.id, friendId: a.id }]) })
  const D2 = (await ok(app, { method: 'POST', url: '/api/conversations/direct', headers: O.auth, payload: { userId: B.id } })).id as string
  await ok(app, { method: 'POST', url: `/api/conversations/${D2}/messages`, headers: B.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: secrets.direct } })
  await ok(app, { method: 'POST', url: `/api/blocks/${B.id}`, headers: O.auth })
  const G = (await ok(app, { method: 'POST', url: '/api/groups', headers: O.auth, payload: { name: secrets.groupName, memberIds: [M.id, X.id] } })).id as string
  const file = multipart([{ filename: 'secret.txt', type: 'text/plain', data: secrets.upload }])
  const upload = await ok(app, { method: 'POST', url: '/api/uploads', headers: { ...O.auth, ...file.headers }, payload: file.payload })
  const uploadId = (upload.url as string).split('/').pop()!
  const gMessageId = (await ok(app, { method: 'POST', url: `/api/conversations/${G}/messages`, headers: O.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: secrets.group } })).id as string
  await ok(app, { method: 'POST', url: `/api/conversations/${G}/messages`, headers: O.auth, payload: { clientMsgId: randomUUID(), type: 'file', content: upload } })
  // Threads: O's message in G roots a thread with one reply (docs/protocol.md, "Threads").
  await ok(app, { method: 'POST', url: `/api/conversations/${G}/messages`, headers: O.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'in the thread', threadRootId: gMessageId } })
  const pollId = (await ok(app, { method: 'POST', url: `/api/conversations/${G}/messages`, headers: O.auth, payload: { clientMsgId: randomUUID(), type: 'poll', content: { question: 'q', options: ['a', 'b'] } } })).id as string
  const requestId = (await ok(app, { method: 'POST', url: '/api/friends/requests', headers: N.auth, payload: { toUserId: O.id } })).id as string
  // An invite preview shows the group's name to anyone with the code: the invite is to H, a group with nothing secret (O owns it, M is a plain member).
  const H = (await ok(app, { method: 'POST', url: '/api/groups', headers: O.auth, payload: { name: 'open house', memberIds: [M.id] } })).id as string
  const invite = await ok(app, { method: 'POST', url: `/api/groups/${H}/invites`, headers: O.auth, payload: {} })
  const inviteCode = invite.code as string
  const inviteId = invite.id as string
  const C = (await ok(app, { method: 'POST', url: '/api/channels', headers: O.auth, payload: { name: `open ${tag}` } })).id as string
  await ok(app, { method: 'POST', url: `/api/channels/${C}/join`, headers: M.auth })
  await ok(app, { method: 'POST', url: `/api/channels/${C}/join`, headers: E.auth })
  await ok(app, { method: 'DELETE', url: `/api/groups/${C}/members/${E.id}`, headers: O.auth })
  const cMessageId = (await ok(app, { method: 'POST', url: `/api/conversations/${C}/messages`, headers: O.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'public words' } })).id as string
  await ok(app, { method: 'POST', url: `/api/conversations/${C}/messages`, headers: M.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'public reply', threadRootId: cMessageId } })
  const pushId = (await ok(app, { method: 'POST', url: '/api/push/subscriptions', headers: O.auth, payload: pushSubscription() })).id as string
  // O's bot in G: its token is shown to nobody after creation. (No webhook here: deliveries
  // would write the log while denied cells are being checked.)
  const created = await ok(app, { method: 'POST', url: '/api/bots', headers: O.auth, payload: { username: `mxb${process.pid % 100000}_${++n}_${tag.slice(0, 6)}`, displayName: 'bot' } })
  const Bot: U = { id: created.bot.id, username: created.bot.username, token: created.token, auth: { authorization: `Bot ${created.token as string}` } }
  await ok(app, { method: 'POST', url: `/api/groups/${G}/members`, headers: O.auth, payload: { userIds: [Bot.id] } })
  Object.assign(secrets, { botToken: created.token as string, scheduled: `SECRET-S-${tag}` })
  const scheduledId = (await ok(app, { method: 'POST', url: `/api/conversations/${G}/scheduled`, headers: O.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: `SECRET-S-${tag}`, sendAt: new Date(Date.now() + 3600_000).toISOString() } })).id as string
  const signer = createUrlSigner(app.config.JWT_SECRET)
  const signed = Object.fromEntries(([['owner', O], ['member', M], ['nonMember', N], ['blocked', B], ['admin', A]] as const).map(([role, u]) => [role, signer.sign(uploadId, u.id).url]))
  const serverKeyId = randomUUID()
  await app.prisma.serverKey.create({ data: { id: serverKeyId, name: 'matrix', keyHash: randomBytes(32).toString('hex'), scopes: ['users', 'conversations', 'messages', 'moderation'] } })
  const passkeyId = randomUUID()
  await app.prisma.passkey.create({ data: { id: passkeyId, userId: O.id, credentialId: randomBytes(32).toString('base64url'), publicKey: 'cose', deviceType: 'singleDevice', name: 'matrix' } })
  return { O, M, N, B, X, E, A, Bot, G, H, D2, C, gMessageId, cMessageId, pollId, uploadId, signed, requestId, inviteCode, inviteId, pushId, serverKeyId, scheduledId, passkeyId, secrets: secrets as World['secrets'] }
}

/** 'allow' = 2xx; otherwise the error code the contract requires. */
type Outcome = 'allow' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'VALIDATION' | 'CONFLICT'
type Expect = Record<Exclude<Role, 'admin'>, Outcome> & { admin?: Outcome }
/** The admin is a stranger to O's world unless a rule says otherwise. */
const expected = (e: Expect, role: Role): Outcome => role === 'admin' ? e.admin ?? e.nonMember : e[role]

interface Req { method?: string, url: string, payload?: unknown, headers?: Record<string, string> }
interface Variant {
  name: string
  request: (w: World, role: Role) => Req
  expect: Expect
  check?: (body: any, w: World, role: Role) => string | undefined
  /** The caller acts on themselves (leaving): no role of the roles table is needed. */
  self?: boolean
}
interface Rule {
  variants: Variant[]
  /** documents that the route only reads */
  readOnly?: boolean
  /** each allowed role needs a world of its own (its action would change another role's outcome) */
  fresh?: boolean
}

const all = (o: Outcome): Expect => ({ owner: o, member: o, nonMember: o, blocked: o, anonymous: o })
const signedIn = (o: Outcome, except: Partial<Expect> = {}): Expect => ({ ...all(o), anonymous: 'UNAUTHORIZED', ...except })
const ownerMember = (denied: Outcome = 'NOT_FOUND', except: Partial<Expect> = {}): Expect =>
  ({ owner: 'allow', member: 'allow', nonMember: denied, blocked: denied, anonymous: 'UNAUTHORIZED', ...except })
const one = (name: string, request: Variant['request'], expect: Expect, check?: Variant['check']): Rule => ({ variants: [{ name, request, expect, check }] })
const read = (rule: Rule): Rule => ({ ...rule, readOnly: true })
const me = (w: World, role: Role): U => user(w, role) ?? w.O
const adminOnly = (): Expect => ({ ...all('FORBIDDEN'), anonymous: 'UNAUTHORIZED', admin: 'allow' })

const publicGet = (url: string): Rule => read(one(url, () => ({ url }), all('allow')))
const notIncluding = (ids: (w: World) => string[], who: Role[]) => (body: any, w: World, role: Role): string | undefined => {
  if (!who.includes(role)) return undefined
  const text = JSON.stringify(body)
  const seen = ids(w).filter((id) => text.includes(id))
  return seen.length > 0 ? `lists ${seen.join(', ')}` : undefined
}

/** The rules, by `${method} ${route pattern}` as the app reports its routes. */
const RULES: Record<string, Rule> = {
  'GET /healthz': publicGet('/healthz'),
  'GET /readyz': publicGet('/readyz'),
  'GET /api/version': publicGet('/api/version'),
  // Open without METRICS_TOKEN (tests); with it, the token is checked (test/modules/metrics).
  'GET /metrics': publicGet('/metrics'),
  'GET /docs': publicGet('/docs'),
  'GET /docs/': publicGet('/docs/'),
  'GET /docs/*': publicGet('/docs/static/index.html'),
  'GET /docs/json': publicGet('/docs/json'),
  'GET /docs/yaml': publicGet('/docs/yaml'),
  'GET /docs/static/index.html': publicGet('/docs/static/index.html'),
  'GET /docs/static/swagger-initializer.js': publicGet('/docs/static/swagger-initializer.js'),
  // The web page (when dist/web is built): public files.
  'GET /': publicGet('/'),
  'GET /*': publicGet('/index.html'),
  // No origin is allowed in this app: a foreign preflight is not answered as CORS (see cors-origin.test.ts).
  'OPTIONS *': read(one('CORS preflight from a foreign origin', () => ({ method: 'OPTIONS', url: '/api/users/me', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } }), all('NOT_FOUND'))),

  'POST /api/auth/register': one('anyone may register (a token is ignored)', () => ({ method: 'POST', url: '/api/auth/register', payload: { username: `mxr_${randomUUID().slice(0, 12)}`, password: PASSWORD } }), all('allow')),
  'POST /api/auth/login': one('with the role\'s own credentials (anonymous: the owner\'s)', (w, role) => ({ method: 'POST', url: '/api/auth/login', payload: { username: me(w, role).username, password: PASSWORD } }), all('allow'),
    (body, w, role) => body.user.id === me(w, role).id ? undefined : 'logged in as someone else'),
  'POST /api/auth/refresh': {
    variants: [{ name: 'a refresh token is a bearer credential of its own user', request: () => ({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 'A'.repeat(43) } }), expect: all('UNAUTHORIZED') }]
  },
  'POST /api/auth/logout': one('unknown token: 204 for anyone (documented)', () => ({ method: 'POST', url: '/api/auth/logout', payload: { refreshToken: 'A'.repeat(43) } }), all('allow')),
  'POST /api/auth/password': one('own password only', (w, role) => ({ method: 'POST', url: '/api/auth/password', payload: { currentPassword: PASSWORD, newPassword: 'another horse battery' }, headers: user(w, role)?.auth }), signedIn('allow')),
  // Two-factor sign-in (TOTP): each user their own factor; the second step is bound to its challenge.
  'POST /api/auth/login/second-factor': one('an unknown challenge, whoever asks', () => ({ method: 'POST', url: '/api/auth/login/second-factor', payload: { challenge: 'A'.repeat(43), code: '123456' } }), all('UNAUTHORIZED')),
  'GET /api/auth/totp': read(one('my own two-factor state', () => ({ url: '/api/auth/totp' }), signedIn('allow'))),
  'POST /api/auth/totp/enrol': one('enrol myself with my password (a secret for my own account)', () => ({ method: 'POST', url: '/api/auth/totp/enrol', payload: { password: PASSWORD } }), signedIn('allow'),
    (body, w, role) => (body.otpauthUrl as string).includes(encodeURIComponent(me(w, role).username)) ? undefined : 'a secret for another account'),
  'POST /api/auth/totp/confirm': one('confirm without an enrolment of my own', () => ({ method: 'POST', url: '/api/auth/totp/confirm', payload: { code: '123456' } }), signedIn('NOT_FOUND')),
  'POST /api/auth/totp/disable': one('turn off without a factor or a right code', () => ({ method: 'POST', url: '/api/auth/totp/disable', payload: { code: '123456' } }), signedIn('FORBIDDEN')),
  // Passkeys: each user their own; sign-in answers only a challenge this server issued.
  'POST /api/auth/passkeys/register/options': one('options to add a passkey to my own account', () => ({ method: 'POST', url: '/api/auth/passkeys/register/options', payload: {} }), signedIn('allow'),
    (body, w, role) => body.user.name === me(w, role).username ? undefined : 'options for another account'),
  'POST /api/auth/passkeys/register': one('a response to no challenge of mine', () => ({ method: 'POST', url: '/api/auth/passkeys/register', payload: { response: passkeyResponse('create') } }), signedIn('UNAUTHORIZED')),
  'GET /api/auth/passkeys': read(one('my own passkeys', () => ({ url: '/api/auth/passkeys' }), signedIn('allow'),
    notIncluding((w) => [w.passkeyId], ['member', 'nonMember', 'blocked', 'admin']))),
  'PATCH /api/auth/passkeys/:id': one('rename O\'s passkey: O alone', (w) => ({ method: 'PATCH', url: `/api/auth/passkeys/${w.passkeyId}`, payload: { name: 'renamed' } }), signedIn('NOT_FOUND', { owner: 'allow' })),
  'DELETE /api/auth/passkeys/:id': one('remove O\'s passkey with one\'s own password: O alone', (w) => ({ method: 'DELETE', url: `/api/auth/passkeys/${w.passkeyId}`, payload: { password: PASSWORD } }), signedIn('NOT_FOUND', { owner: 'allow' })),
  'POST /api/auth/login/passkey/options': one('anyone may start a passkey sign-in', (w) => ({ method: 'POST', url: '/api/auth/login/passkey/options', payload: { username: w.O.username } }), all('allow')),
  'POST /api/auth/login/passkey': one('a response to a challenge never issued, whoever sends it', () => ({ method: 'POST', url: '/api/auth/login/passkey', payload: { response: passkeyResponse('get') } }), all('UNAUTHORIZED')),
  // OpenID Connect sign-in (no provider is configured in this app: every provider id is unknown;
  // test/modules/auth/oidc.test.ts covers the configured flow, test/security/fuzz-oidc.test.ts fuzzes it).
  'GET /api/auth/oidc/providers': read(one('public: the configured providers (none here)', () => ({ url: '/api/auth/oidc/providers' }), all('allow'))),
  'GET /api/auth/oidc/:provider/start': read(one('an unknown provider, whoever asks', () => ({ url: '/api/auth/oidc/nope/start' }), all('NOT_FOUND'))),
  'GET /api/auth/oidc/:provider/callback': read(one('an unknown provider, whoever asks', () => ({ url: '/api/auth/oidc/nope/callback?state=x&code=y' }), all('NOT_FOUND'))),
  'POST /api/auth/oidc/exchange': one('an unknown one-time code, whoever asks', () => ({ method: 'POST', url: '/api/auth/oidc/exchange', payload: { code: 'A'.repeat(43) } }), all('UNAUTHORIZED')),
  'GET /api/auth/oidc/identities': read(one('my own links only', () => ({ url: '/api/auth/oidc/identities' }), signedIn('allow'))),
  'POST /api/auth/oidc/:provider/link': one('link to myself, an unknown provider', () => ({ method: 'POST', url: '/api/auth/oidc/nope/link' }), signedIn('NOT_FOUND')),
  'DELETE /api/auth/oidc/:provider/link': one('unlink from myself, an unknown provider', () => ({ method: 'DELETE', url: '/api/auth/oidc/nope/link' }), signedIn('NOT_FOUND')),

  'GET /api/users/me': read(one('self', () => ({ url: '/api/users/me' }), signedIn('allow'), (body, w, role) => body.id === me(w, role).id ? undefined : 'another user')),
  'PATCH /api/users/me': {
    variants: [
      { name: 'self', request: () => ({ method: 'PATCH', url: '/api/users/me', payload: { displayName: 'changed' } }), expect: signedIn('allow'), check: (body, w, role) => body.id === me(w, role).id ? undefined : 'another user' },
      { name: 'own presence setting', request: () => ({ method: 'PATCH', url: '/api/users/me', payload: { presenceVisibility: 'nobody' } }), expect: signedIn('allow'), check: (body, w, role) => body.id === me(w, role).id && body.presenceVisibility === 'nobody' ? undefined : 'another user' }
    ]
  },
  'GET /api/users': read(one('public search', (w) => ({ url: `/api/users?q=${w.O.username}` }), signedIn('allow'),
    (body) => JSON.stringify(body).includes('password') ? 'password field' : undefined)),
  // Presence only to O's friends (O's setting is the default, contacts): M and the owner see it; strangers, and B (the block ended the friendship), get it hidden.
  'GET /api/users/:id': read(one('public profile; presence to friends only', (w) => ({ url: `/api/users/${w.O.id}` }), signedIn('allow'),
    (body, w, role) => (['nonMember', 'admin', 'blocked'].includes(role) ? body.presence?.hidden === true : body.presence?.hidden === undefined) ? undefined : `presence ${JSON.stringify(body.presence)}`)),
  // Only one's own account, confirmed by its password; each role deletes its own, in a world of its own.
  'DELETE /api/users/me': { ...one('own account', () => ({ method: 'DELETE', url: '/api/users/me', payload: { password: PASSWORD } }), signedIn('allow')), fresh: true },
  'GET /api/users/me/export': read(one('own data', () => ({ url: '/api/users/me/export' }), signedIn('allow'), (body, w, role) => body.profile?.id === me(w, role).id ? undefined : 'another user\'s data')),

  'POST /api/uploads': one('own upload', () => {
    const file = multipart([{ filename: 'a.txt', type: 'text/plain', data: 'hello' }])
    return { method: 'POST', url: '/api/uploads', payload: file.payload, headers: file.headers }
  }, signedIn('allow')),
  'GET /api/uploads/:id': read({
    variants: [
      { name: 'file shared in G', request: (w) => ({ url: `/api/uploads/${w.uploadId}` }), expect: ownerMember() },
      { name: '?token= is refused, whoever\'s it is', request: (w, role) => ({ url: `/api/uploads/${w.uploadId}?token=${user(w, role)?.token ?? 'none'}`, headers: {} }), expect: all('UNAUTHORIZED') },
      { name: 'a signed URL (no header) grants no more than the header', request: (w, role) => ({ url: w.signed[role] ?? `/api/uploads/${w.uploadId}`, headers: {} }), expect: ownerMember() }
    ]
  }),
  'GET /api/uploads/:id/link': read(one('a signed URL of the file shared in G, for the caller', (w) => ({ url: `/api/uploads/${w.uploadId}/link` }), ownerMember(),
    (body, w, role) => typeof body.url === 'string' && body.url.includes(`user=${me(w, role).id}`) && !body.url.includes('token') ? undefined : 'not signed for the caller')),

  'GET /api/friends': read(one('own friends', () => ({ url: '/api/friends' }), signedIn('allow'), notIncluding((w) => [w.O.id], ['nonMember', 'blocked']))),
  'GET /api/friends/requests': read({
    variants: [
      { name: 'incoming', request: () => ({ url: '/api/friends/requests?direction=incoming' }), expect: signedIn('allow'), check: notIncluding((w) => [w.requestId], ['member', 'blocked', 'nonMember']) },
      { name: 'outgoing', request: () => ({ url: '/api/friends/requests?direction=outgoing' }), expect: signedIn('allow'), check: notIncluding((w) => [w.requestId], ['member', 'blocked', 'owner']) }
    ]
  }),
  'POST /api/friends/requests': one('to the owner', (w) => ({ method: 'POST', url: '/api/friends/requests', payload: { toUserId: w.O.id } }),
    { owner: 'VALIDATION', member: 'CONFLICT', nonMember: 'CONFLICT', blocked: 'FORBIDDEN', anonymous: 'UNAUTHORIZED', admin: 'allow' }),
  'POST /api/friends/requests/:id/accept': one('N -> O request: only its recipient', (w) => ({ method: 'POST', url: `/api/friends/requests/${w.requestId}/accept` }),
    { owner: 'allow', member: 'NOT_FOUND', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND', anonymous: 'UNAUTHORIZED' }),
  'POST /api/friends/requests/:id/decline': one('N -> O request: only its recipient', (w) => ({ method: 'POST', url: `/api/friends/requests/${w.requestId}/decline` }),
    { owner: 'allow', member: 'NOT_FOUND', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND', anonymous: 'UNAUTHORIZED' }),
  'DELETE /api/friends/requests/:id': one('N -> O request: only its sender', (w) => ({ method: 'DELETE', url: `/api/friends/requests/${w.requestId}` }),
    { owner: 'NOT_FOUND', member: 'NOT_FOUND', nonMember: 'allow', blocked: 'NOT_FOUND', anonymous: 'UNAUTHORIZED', admin: 'NOT_FOUND' }),
  // The contract's relation has `blockedBy`: the blocked user may learn of the block here (by design).
  'GET /api/friends/:userId': read(one('relation to the owner, from the caller\'s side', (w) => ({ url: `/api/friends/${w.O.id}` }), signedIn('allow'),
    (body, _w, role) => body.isFriend !== (role === 'member') ? `isFriend ${String(body.isFriend)}` : undefined)),
  'DELETE /api/friends/:userId': one('unfriend the owner', (w) => ({ method: 'DELETE', url: `/api/friends/${w.O.id}` }),
    signedIn('NOT_FOUND', { member: 'allow' })),
  'POST /api/blocks/:userId': one('block the owner (anyone may block anyone)', (w) => ({ method: 'POST', url: `/api/blocks/${w.O.id}` }), signedIn('allow', { owner: 'VALIDATION' })),
  'DELETE /api/blocks/:userId': one('lift the owner\'s block on B: only the owner can', (w) => ({ method: 'DELETE', url: `/api/blocks/${w.B.id}` }),
    signedIn('NOT_FOUND', { owner: 'allow' })),
  'GET /api/blocks': read(one('own blocks', () => ({ url: '/api/blocks' }), signedIn('allow'), notIncluding((w) => [w.O.id, w.B.id], ['member', 'nonMember', 'blocked']))),

  'GET /api/search/messages': read({
    variants: [
      {
        name: 'every conversation: finds only what the role may read',
        request: (w) => ({ url: `/api/search/messages?q=${encodeURIComponent(`${w.secrets.group} or ${w.secrets.direct}`)}` }),
        expect: signedIn('allow'),
        check: (body, w, role) => {
          const text = JSON.stringify(body)
          const wrong = [w.secrets.group, w.secrets.direct].filter((s) => text.includes(s) !== entitled(w, role).includes(s))
          return wrong.length > 0 ? `found or missed ${wrong.join(', ')}` : undefined
        }
      },
      { name: 'in G only', request: (w) => ({ url: `/api/search/messages?q=${w.secrets.group}&conversationId=${w.G}` }), expect: ownerMember() }
    ]
  }),
  'GET /api/conversations': read(one('own conversations', () => ({ url: '/api/conversations' }), signedIn('allow'), notIncluding((w) => [w.G], ['nonMember', 'blocked']))),
  'GET /api/conversations/:id': read({
    variants: [
      { name: 'group G', request: (w) => ({ url: `/api/conversations/${w.G}` }), expect: ownerMember() },
      { name: 'channel C: public', request: (w) => ({ url: `/api/conversations/${w.C}` }), expect: signedIn('allow') }
    ]
  }),
  'POST /api/conversations/direct': one('with the owner', (w) => ({ method: 'POST', url: '/api/conversations/direct', payload: { userId: w.O.id } }),
    { owner: 'VALIDATION', member: 'allow', nonMember: 'FORBIDDEN', blocked: 'FORBIDDEN', anonymous: 'UNAUTHORIZED' }),
  'GET /api/conversations/:id/messages': read({
    variants: [
      { name: 'group G', request: (w) => ({ url: `/api/conversations/${w.G}/messages` }), expect: ownerMember() },
      { name: 'direct D2 (O-B, blocked): both ends keep their history', request: (w) => ({ url: `/api/conversations/${w.D2}/messages` }), expect: { owner: 'allow', blocked: 'allow', member: 'NOT_FOUND', nonMember: 'NOT_FOUND', anonymous: 'UNAUTHORIZED' } },
      { name: 'channel C: anyone signed in reads its history', request: (w) => ({ url: `/api/conversations/${w.C}/messages` }), expect: signedIn('allow') }
    ]
  }),
  'POST /api/conversations/:id/messages': {
    variants: [
      { name: 'group G', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.G}/messages`, payload: { clientMsgId: randomUUID(), type: 'text', content: 'hi' } }), expect: ownerMember() },
      { name: 'direct D2 after the block: nobody writes', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.D2}/messages`, payload: { clientMsgId: randomUUID(), type: 'text', content: 'hi' } }), expect: { owner: 'FORBIDDEN', blocked: 'FORBIDDEN', member: 'NOT_FOUND', nonMember: 'NOT_FOUND', anonymous: 'UNAUTHORIZED' } },
      { name: 'channel C: members write, others are FORBIDDEN', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.C}/messages`, payload: { clientMsgId: randomUUID(), type: 'text', content: 'hi' } }), expect: ownerMember('FORBIDDEN') }
    ]
  },
  'DELETE /api/conversations/:id/messages/:messageId': {
    variants: [
      { name: 'the owner\'s message in G: only its sender recalls', request: (w) => ({ method: 'DELETE', url: `/api/conversations/${w.G}/messages/${w.gMessageId}` }), expect: { owner: 'allow', member: 'FORBIDDEN', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND', anonymous: 'UNAUTHORIZED' } },
      { name: '?for=me: any member, for themselves', request: (w) => ({ method: 'DELETE', url: `/api/conversations/${w.G}/messages/${w.gMessageId}?for=me` }), expect: ownerMember() }
    ]
  },
  // v2 (PROTOCOL-v2 section 1)
  'PATCH /api/conversations/:id/messages/:messageId': one('edit the owner\'s message in G: only its sender', (w) => ({ method: 'PATCH', url: `/api/conversations/${w.G}/messages/${w.gMessageId}`, payload: { content: 'edited' } }),
    { owner: 'allow', member: 'FORBIDDEN', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND', anonymous: 'UNAUTHORIZED' }),
  'PUT /api/conversations/:id/messages/:messageId/reactions/:emoji': one('react in G: members', (w) => ({ method: 'PUT', url: `/api/conversations/${w.G}/messages/${w.gMessageId}/reactions/${encodeURIComponent('👍')}` }), ownerMember()),
  'DELETE /api/conversations/:id/messages/:messageId/reactions/:emoji': one('remove a reaction in G: members (a no-op when absent)', (w) => ({ method: 'DELETE', url: `/api/conversations/${w.G}/messages/${w.gMessageId}/reactions/${encodeURIComponent('👍')}` }), ownerMember()),
  'GET /api/conversations/:id/pins': read(one('pins of G', (w) => ({ url: `/api/conversations/${w.G}/pins` }), ownerMember())),
  'POST /api/conversations/:id/pins': one('pin in G: owner and admins', (w) => ({ method: 'POST', url: `/api/conversations/${w.G}/pins`, payload: { messageId: w.gMessageId } }),
    ownerMember('NOT_FOUND', { member: 'FORBIDDEN' })),
  'DELETE /api/conversations/:id/pins/:messageId': one('unpin in G: owner and admins', (w) => ({ method: 'DELETE', url: `/api/conversations/${w.G}/pins/${w.gMessageId}` }),
    ownerMember('NOT_FOUND', { member: 'FORBIDDEN' })),
  'GET /api/messages/:id/poll': read(one('the poll in G: members', (w) => ({ url: `/api/messages/${w.pollId}/poll` }), ownerMember())),
  'PUT /api/messages/:id/poll/vote': one('vote in G: members', (w) => ({ method: 'PUT', url: `/api/messages/${w.pollId}/poll/vote`, payload: { optionIndexes: [0] } }), ownerMember()),
  'POST /api/messages/:id/poll/close': one('close the owner\'s poll in G: its creator, the owner and admins', (w) => ({ method: 'POST', url: `/api/messages/${w.pollId}/poll/close` }),
    ownerMember('NOT_FOUND', { member: 'FORBIDDEN' })),
  // Link previews: the sender removes one from their own message (a no-op when there is none)
  'DELETE /api/messages/:id/link-preview': one('the owner\'s message in G: only its sender', (w) => ({ method: 'DELETE', url: `/api/messages/${w.gMessageId}/link-preview` }),
    { owner: 'allow', member: 'FORBIDDEN', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND', anonymous: 'UNAUTHORIZED' }),
  // Threads (docs/protocol.md, "Threads"): the thread of O's message in G
  // A channel's threads are public as its history is (anyone signed in reads; E, removed so banned, is no role here: threads-attacks.test.ts).
  'GET /api/conversations/:id/threads': read({
    variants: [
      { name: 'threads of G', request: (w) => ({ url: `/api/conversations/${w.G}/threads` }), expect: ownerMember() },
      { name: 'threads of channel C: anyone signed in', request: (w) => ({ url: `/api/conversations/${w.C}/threads` }), expect: signedIn('allow') }
    ]
  }),
  'GET /api/conversations/:id/threads/:rootId': read({
    variants: [
      { name: 'my state of a thread in G', request: (w) => ({ url: `/api/conversations/${w.G}/threads/${w.gMessageId}` }), expect: ownerMember() },
      { name: 'a thread in channel C: anyone signed in (a non-member has no state)', request: (w) => ({ url: `/api/conversations/${w.C}/threads/${w.cMessageId}` }), expect: signedIn('allow') }
    ]
  }),
  'GET /api/conversations/:id/threads/:rootId/messages': read({
    variants: [
      { name: 'a thread\'s replies in G', request: (w) => ({ url: `/api/conversations/${w.G}/threads/${w.gMessageId}/messages` }), expect: ownerMember() },
      { name: 'a thread\'s replies in channel C: anyone signed in', request: (w) => ({ url: `/api/conversations/${w.C}/threads/${w.cMessageId}/messages` }), expect: signedIn('allow') }
    ]
  }),
  'PUT /api/conversations/:id/threads/:rootId/follow': {
    variants: [
      { name: 'follow a thread in G: any member, for themselves', request: (w) => ({ method: 'PUT', url: `/api/conversations/${w.G}/threads/${w.gMessageId}/follow`, payload: { following: true } }), expect: ownerMember() },
      { name: 'follow a thread in channel C: members only (FORBIDDEN: readable, not theirs)', request: (w) => ({ method: 'PUT', url: `/api/conversations/${w.C}/threads/${w.cMessageId}/follow`, payload: { following: true } }), expect: ownerMember('FORBIDDEN') }
    ]
  },
  'POST /api/conversations/:id/threads/:rootId/read': {
    variants: [
      { name: 'read a thread in G: any member, for themselves', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.G}/threads/${w.gMessageId}/read`, payload: { seq: 1 } }), expect: ownerMember() },
      { name: 'read a thread in channel C: members only', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.C}/threads/${w.cMessageId}/read`, payload: { seq: 1 } }), expect: ownerMember('FORBIDDEN') }
    ]
  },
  'POST /api/conversations/:id/clear': one('clear G for me: any member', (w) => ({ method: 'POST', url: `/api/conversations/${w.G}/clear`, payload: {} }), ownerMember()),
  'POST /api/conversations/:id/read': {
    variants: [
      { name: 'group G', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.G}/read`, payload: { seq: 1 } }), expect: ownerMember() },
      { name: 'channel C: members only (FORBIDDEN: it is readable, not theirs)', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.C}/read`, payload: { seq: 1 } }), expect: ownerMember('FORBIDDEN') }
    ]
  },
  'PATCH /api/conversations/:id/settings': one('my settings of G: any member, for themselves', (w) => ({ method: 'PATCH', url: `/api/conversations/${w.G}/settings`, payload: { pinned: true, notify: 'mentions' } }), ownerMember()),
  // Documented policy (src/modules/groups/README.md): no friendship is needed to add someone to a group; a block is.
  'POST /api/groups': one('a group with the owner in it', (w) => ({ method: 'POST', url: '/api/groups', payload: { name: 'g', memberIds: [w.O.id] } }),
    { owner: 'allow', member: 'allow', nonMember: 'allow', blocked: 'FORBIDDEN', anonymous: 'UNAUTHORIZED' }),
  'POST /api/groups/:id/members': one('add E to G: owner or admin', (w) => ({ method: 'POST', url: `/api/groups/${w.G}/members`, payload: { userIds: [w.E.id] } }),
    ownerMember('NOT_FOUND', { member: 'FORBIDDEN' })),
  'DELETE /api/groups/:id/members/:userId': {
    variants: [
      { name: 'remove X from G: owner or admin', request: (w) => ({ method: 'DELETE', url: `/api/groups/${w.G}/members/${w.X.id}` }), expect: ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }) },
      { name: 'leave channel C (me): its members', request: (w) => ({ method: 'DELETE', url: `/api/groups/${w.C}/members/me` }), expect: ownerMember(), self: true }
    ]
  },
  // Channels (PROTOCOL-v2 section 3): public, open to join.
  'POST /api/channels': one('anyone signed in creates one', () => ({ method: 'POST', url: '/api/channels', payload: { name: 'a channel' } }), signedIn('allow')),
  'GET /api/channels': read(one('anyone signed in lists them', () => ({ url: `/api/channels?q=${encodeURIComponent('open')}` }), signedIn('allow'),
    (body, w) => JSON.stringify(body).includes(w.G) ? 'lists the private group' : undefined)),
  'POST /api/channels/:id/join': {
    variants: [
      { name: 'join C: anyone signed in (a member already: no change)', request: (w) => ({ method: 'POST', url: `/api/channels/${w.C}/join` }), expect: signedIn('allow') },
      { name: 'join the private group G by its id: NOT_FOUND for all', request: (w) => ({ method: 'POST', url: `/api/channels/${w.G}/join` }), expect: signedIn('NOT_FOUND') }
    ]
  },
  // v2 groups (PROTOCOL-v2 section 3; the roles table is src/modules/conversations/permissions.ts). G has no admin: M is a plain member.
  // A channel is managed through the same routes and the same roles table as a group (docs/protocol.md, channels).
  'PATCH /api/groups/:id': {
    variants: [
      { name: 'rename G: owner or admin', request: (w) => ({ method: 'PATCH', url: `/api/groups/${w.G}`, payload: { name: 'renamed', topic: 'a topic' } }), expect: ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }) },
      { name: 'rename channel C: owner or admin', request: (w) => ({ method: 'PATCH', url: `/api/groups/${w.C}`, payload: { name: 'renamed channel' } }), expect: ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }) }
    ]
  },
  // Retention (docs/protocol.md, "Retention"): the owner and admins of a group or channel; bounds and bad values in test/modules/housekeeping/retention.test.ts.
  'PUT /api/groups/:id/retention': {
    variants: [
      { name: 'keep G\'s messages 30 days: owner or admin', request: (w) => ({ method: 'PUT', url: `/api/groups/${w.G}/retention`, payload: { days: 30 } }), expect: ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }) },
      { name: 'channel C back to the server\'s default: owner or admin', request: (w) => ({ method: 'PUT', url: `/api/groups/${w.C}/retention`, payload: { days: null } }), expect: ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }) }
    ]
  },
  'PUT /api/groups/:id/members/:userId/role': {
    variants: [
      { name: 'make X admin: owner only', request: (w) => ({ method: 'PUT', url: `/api/groups/${w.G}/members/${w.X.id}/role`, payload: { role: 'admin' } }), expect: ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }) },
      { name: 'make M admin of channel C: owner only', request: (w) => ({ method: 'PUT', url: `/api/groups/${w.C}/members/${w.M.id}/role`, payload: { role: 'admin' } }), expect: ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }) }
    ]
  },
  'POST /api/groups/:id/transfer': one('hand G to X: owner only', (w) => ({ method: 'POST', url: `/api/groups/${w.G}/transfer`, payload: { userId: w.X.id } }),
    ownerMember('NOT_FOUND', { member: 'FORBIDDEN' })),
  'POST /api/groups/:id/invites': one('an invite to G: owner or admin', (w) => ({ method: 'POST', url: `/api/groups/${w.G}/invites`, payload: { maxUses: 5 } }),
    ownerMember('NOT_FOUND', { member: 'FORBIDDEN' })),
  'DELETE /api/groups/:id/invites/:code': {
    variants: [
      { name: 'revoke the invite to H by code: owner or admin', request: (w) => ({ method: 'DELETE', url: `/api/groups/${w.H}/invites/${w.inviteCode}` }), expect: ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }) },
      { name: 'revoke the invite to H by id: owner or admin', request: (w) => ({ method: 'DELETE', url: `/api/groups/${w.H}/invites/${w.inviteId}` }), expect: ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }) }
    ]
  },
  // The list never shows a code (only hashes are stored): no role sees one.
  'GET /api/groups/:id/invites': read(one('H\'s live invites: owner or admin', (w) => ({ url: `/api/groups/${w.H}/invites` }), ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }),
    (body, w) => JSON.stringify(body).includes(w.inviteCode) ? 'shows the code' : (body.some((i: any) => i.id === w.inviteId) ? undefined : 'misses the invite'))),
  // Bans (a removal by the owner or an admin): E is banned from channel C.
  'GET /api/groups/:id/bans': read(one('C\'s bans: owner or admin', (w) => ({ url: `/api/groups/${w.C}/bans` }), ownerMember('NOT_FOUND', { member: 'FORBIDDEN' }),
    (body, w) => body.some((b: any) => b.user.id === w.E.id) ? undefined : 'misses E')),
  'PUT /api/groups/:id/bans/:userId': one('ban X (not in C) from C: owner or admin', (w) => ({ method: 'PUT', url: `/api/groups/${w.C}/bans/${w.X.id}` }),
    ownerMember('NOT_FOUND', { member: 'FORBIDDEN' })),
  'DELETE /api/groups/:id/bans/:userId': one('unban E from C: owner or admin', (w) => ({ method: 'DELETE', url: `/api/groups/${w.C}/bans/${w.E.id}` }),
    ownerMember('NOT_FOUND', { member: 'FORBIDDEN' })),
  'GET /api/invites/:code': read(one('preview the invite to H: any signed-in user', (w) => ({ url: `/api/invites/${w.inviteCode}` }), signedIn('allow'))),
  // Joining changes the membership: each allowed role gets a world of its own. Members get the group back (idempotent).
  'POST /api/invites/:code/join': { ...one('join H by invite: any signed-in user (a block does not stop it: the invite is the consent)', (w) => ({ method: 'POST', url: `/api/invites/${w.inviteCode}/join` }), signedIn('allow')), fresh: true },

  // Web Push (PROTOCOL-v2 section 4): each user their own subscriptions.
  'GET /api/push/vapid-public-key': read(one('the VAPID key', () => ({ url: '/api/push/vapid-public-key' }), signedIn('allow'))),
  'POST /api/push/subscriptions': one('subscribe a browser', () => ({ method: 'POST', url: '/api/push/subscriptions', payload: pushSubscription() }), signedIn('allow')),
  'GET /api/push/subscriptions': read(one('my subscriptions', () => ({ url: '/api/push/subscriptions' }), signedIn('allow'),
    notIncluding((w) => [w.pushId], ['member', 'nonMember', 'blocked', 'admin']))),
  'DELETE /api/push/subscriptions/:id': one('delete O\'s subscription: O alone', (w) => ({ method: 'DELETE', url: `/api/push/subscriptions/${w.pushId}` }),
    { owner: 'allow', member: 'NOT_FOUND', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND', anonymous: 'UNAUTHORIZED' }),

  // Any user reports another (not themselves).
  'POST /api/reports': one('report the owner', (w) => ({ method: 'POST', url: '/api/reports', payload: { userId: w.O.id, reason: 'spam' } }), signedIn('allow', { owner: 'VALIDATION' })),
  // Bots (PROTOCOL-v2 section 4): each signed-in user manages their own; O's bot is O's alone
  // (NOT_FOUND for everyone else, no hint that it exists). The token
  // is never shown again (a secret no role is entitled to).
  'POST /api/bots': one('create my own bot', () => ({ method: 'POST', url: '/api/bots', payload: { username: `mxb_${randomUUID().slice(0, 12)}`, displayName: 'b' } }), signedIn('allow')),
  'GET /api/bots': read(one('my bots', () => ({ url: '/api/bots' }), signedIn('allow'), notIncluding((w) => [w.Bot.id], ['member', 'nonMember', 'blocked', 'admin']))),
  'DELETE /api/bots/:id': one('delete O\'s bot', (w) => ({ method: 'DELETE', url: `/api/bots/${w.Bot.id}` }), signedIn('NOT_FOUND', { owner: 'allow' })),
  'POST /api/bots/:id/token': one('rotate O\'s bot\'s token', (w) => ({ method: 'POST', url: `/api/bots/${w.Bot.id}/token` }), signedIn('NOT_FOUND', { owner: 'allow' })),
  'PUT /api/bots/:id/webhook': one('set O\'s bot\'s webhook', (w) => ({ method: 'PUT', url: `/api/bots/${w.Bot.id}/webhook`, payload: { url: 'https://8.8.4.4/hook', secret: 'another-secret-long-enough' } }), signedIn('NOT_FOUND', { owner: 'allow' })),
  'DELETE /api/bots/:id/webhook': one('remove O\'s bot\'s webhook', (w) => ({ method: 'DELETE', url: `/api/bots/${w.Bot.id}/webhook` }), signedIn('NOT_FOUND', { owner: 'allow' })),
  'GET /api/bots/:id/deliveries': read(one('O\'s bot\'s delivery log', (w) => ({ url: `/api/bots/${w.Bot.id}/deliveries` }), signedIn('NOT_FOUND', { owner: 'allow' }))),

  // Scheduled messages: scheduling follows the send rules of the conversation; a scheduled message is its author's alone (NOT_FOUND for everyone else).
  'POST /api/conversations/:id/scheduled': {
    variants: [
      { name: 'in group G: its members', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.G}/scheduled`, payload: { clientMsgId: randomUUID(), type: 'text', content: 'later', sendAt: new Date(Date.now() + 3600_000).toISOString() } }), expect: ownerMember() },
      { name: 'in direct D2 after the block: nobody', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.D2}/scheduled`, payload: { clientMsgId: randomUUID(), type: 'text', content: 'later', sendAt: new Date(Date.now() + 3600_000).toISOString() } }), expect: { owner: 'FORBIDDEN', blocked: 'FORBIDDEN', member: 'NOT_FOUND', nonMember: 'NOT_FOUND', anonymous: 'UNAUTHORIZED' } },
      { name: 'in channel C: members (others FORBIDDEN, as for a send)', request: (w) => ({ method: 'POST', url: `/api/conversations/${w.C}/scheduled`, payload: { clientMsgId: randomUUID(), type: 'text', content: 'later', sendAt: new Date(Date.now() + 3600_000).toISOString() } }), expect: ownerMember('FORBIDDEN') }
    ]
  },
  'GET /api/scheduled': read({
    variants: [
      { name: 'my own scheduled messages', request: () => ({ url: '/api/scheduled' }), expect: signedIn('allow'), check: notIncluding((w) => [w.scheduledId], ['member', 'nonMember', 'blocked', 'admin']) },
      { name: 'my own in G', request: (w) => ({ url: `/api/scheduled?conversationId=${w.G}` }), expect: signedIn('allow'), check: notIncluding((w) => [w.scheduledId], ['member', 'nonMember', 'blocked', 'admin']) }
    ]
  }),
  'PATCH /api/scheduled/:id': one('edit O\'s scheduled message: O alone', (w) => ({ method: 'PATCH', url: `/api/scheduled/${w.scheduledId}`, payload: { content: 'changed' } }), signedIn('NOT_FOUND', { owner: 'allow' })),
  'DELETE /api/scheduled/:id': one('cancel O\'s scheduled message: O alone', (w) => ({ method: 'DELETE', url: `/api/scheduled/${w.scheduledId}` }), signedIn('NOT_FOUND', { owner: 'allow' })),

  // Platform admin routes: the admin alone, whatever the relation to O.
  'GET /api/admin/users': read(one('search users', (w) => ({ url: `/api/admin/users?q=${w.O.username}` }), adminOnly())),
  'POST /api/admin/users/:id/suspend': one('suspend X', (w) => ({ method: 'POST', url: `/api/admin/users/${w.X.id}/suspend`, payload: { reason: 'spam' } }), adminOnly()),
  'POST /api/admin/users/:id/unsuspend': one('unsuspend X', (w) => ({ method: 'POST', url: `/api/admin/users/${w.X.id}/unsuspend` }), adminOnly()),
  'DELETE /api/admin/messages/:id': one('remove the owner\'s message in G', (w) => ({ method: 'DELETE', url: `/api/admin/messages/${w.gMessageId}` }), adminOnly()),
  'GET /api/admin/reports': read(one('all reports', () => ({ url: '/api/admin/reports' }), adminOnly())),
  'GET /api/admin/audit': read(one('the audit log', () => ({ url: '/api/admin/audit' }), adminOnly())),

  // Server API (src/modules/server-api): server keys are the admin's; the API itself takes a
  // server key and nothing a role holds (user, admin or bot token): UNAUTHORIZED for all.
  // Scopes, revoked keys and bot tokens: test/modules/server-api/keys.test.ts.
  'POST /api/admin/server-keys': one('create a server key', () => ({ method: 'POST', url: '/api/admin/server-keys', payload: { name: 'app', scopes: ['users'] } }), adminOnly()),
  'GET /api/admin/server-keys': read(one('list server keys', () => ({ url: '/api/admin/server-keys' }), adminOnly())),
  'DELETE /api/admin/server-keys/:id': one('revoke the server key', (w) => ({ method: 'DELETE', url: `/api/admin/server-keys/${w.serverKeyId}` }), adminOnly()),
  'PUT /api/server/users/:externalId': one('upsert an app user', () => ({ method: 'PUT', url: '/api/server/users/ext-1', payload: { displayName: 'x' } }), all('UNAUTHORIZED')),
  'GET /api/server/users': read(one('list app users', () => ({ url: '/api/server/users' }), all('UNAUTHORIZED'))),
  'GET /api/server/users/:externalId': read(one('an app user', () => ({ url: '/api/server/users/ext-1' }), all('UNAUTHORIZED'))),
  'POST /api/server/users/:externalId/tokens': one('mint tokens', () => ({ method: 'POST', url: '/api/server/users/ext-1/tokens' }), all('UNAUTHORIZED')),
  'DELETE /api/server/users/:externalId': one('delete an app user', () => ({ method: 'DELETE', url: '/api/server/users/ext-1' }), all('UNAUTHORIZED')),
  'POST /api/server/users/:externalId/suspend': one('suspend an app user', () => ({ method: 'POST', url: '/api/server/users/ext-1/suspend', payload: { reason: 'x' } }), all('UNAUTHORIZED')),
  'POST /api/server/users/:externalId/unsuspend': one('unsuspend an app user', () => ({ method: 'POST', url: '/api/server/users/ext-1/unsuspend' }), all('UNAUTHORIZED')),
  'POST /api/server/friends': one('make friends', () => ({ method: 'POST', url: '/api/server/friends', payload: { a: 'ext-1', b: 'ext-2' } }), all('UNAUTHORIZED')),
  'POST /api/server/groups': one('a group for the app', () => ({ method: 'POST', url: '/api/server/groups', payload: { owner: 'ext-1', name: 'g', members: [] } }), all('UNAUTHORIZED')),
  'POST /api/server/groups/:id/members': one('add to G as its owner', (w) => ({ method: 'POST', url: `/api/server/groups/${w.G}/members`, payload: { members: ['ext-1'] } }), all('UNAUTHORIZED')),
  'DELETE /api/server/groups/:id/members/:externalId': one('remove from G as its owner', (w) => ({ method: 'DELETE', url: `/api/server/groups/${w.G}/members/ext-1` }), all('UNAUTHORIZED')),
  'POST /api/server/conversations/:id/messages': one('send in G', (w) => ({ method: 'POST', url: `/api/server/conversations/${w.G}/messages`, payload: { as: 'ext-1', clientMsgId: randomUUID(), type: 'text', content: 'x' } }), all('UNAUTHORIZED')),
  // Scopes, revoked keys and hostile input of these two: test/modules/server-api/notices-channels.test.ts.
  'POST /api/server/conversations/:id/system-messages': one('a system message in G', (w) => ({ method: 'POST', url: `/api/server/conversations/${w.G}/system-messages`, payload: { clientMsgId: randomUUID(), text: 'x' } }), all('UNAUTHORIZED')),
  'POST /api/server/channels': one('a channel for the app', () => ({ method: 'POST', url: '/api/server/channels', payload: { owner: 'ext-1', name: 'c', members: [] } }), all('UNAUTHORIZED'))
}

/** 2xx and redirects (the docs) are allowed. */
const outcomeOf = (status: number, body: any): string => status < 400 ? 'allow' : (body?.error?.code ?? `status ${status}`)

function leaks (text: string, w: World, role: Role): string[] {
  const mine = entitled(w, role)
  return Object.values(w.secrets).filter((s) => !mine.includes(s) && text.includes(s))
}

const PRESENCE = { ignoreColumns: ['last_seen_at'] }

// Every route x every role, each denial checked for writes: ~1-2 min alone, several times that
// beside other test files on a 2-core machine (the .taprc default of 120 s is too short).
t.setTimeout(600_000)

t.test('every route has a rule in the matrix', async (t) => {
  const app = await build(t)
  const missing = listRoutes(app).filter((r) => RULES[r.key] === undefined).map((r) => r.key)
  t.same(missing, [], 'routes without an authorisation rule: add one to RULES')
})

/** Group routes and the action of the roles table (src/modules/conversations/permissions.ts) they stand for. */
const GROUP_ROUTE_ACTIONS: Record<string, GroupAction> = {
  'PATCH /api/groups/:id': 'editProfile',
  'POST /api/groups/:id/members': 'addMembers',
  'DELETE /api/groups/:id/members/:userId': 'removeMembers',
  'PUT /api/groups/:id/members/:userId/role': 'setRole',
  'PUT /api/groups/:id/retention': 'setRetention',
  'POST /api/groups/:id/transfer': 'transferOwnership',
  'POST /api/groups/:id/invites': 'manageInvites',
  'DELETE /api/groups/:id/invites/:code': 'manageInvites',
  'GET /api/groups/:id/invites': 'manageInvites',
  'GET /api/groups/:id/bans': 'manageBans',
  'PUT /api/groups/:id/bans/:userId': 'manageBans',
  'DELETE /api/groups/:id/bans/:userId': 'manageBans',
  'POST /api/conversations/:id/pins': 'pinMessages',
  'DELETE /api/conversations/:id/pins/:messageId': 'pinMessages',
  'POST /api/messages/:id/poll/close': 'closePolls'
}

t.test('group rows follow the roles table: the owner and a plain member get what GROUP_PERMISSIONS says', async (t) => {
  for (const [key, action] of Object.entries(GROUP_ROUTE_ACTIONS)) {
    const rule = RULES[key]
    t.ok(rule, `${key} has a rule`)
    for (const v of (rule?.variants ?? []).filter((v) => v.self !== true)) {
      t.equal(expected(v.expect, 'owner'), can('owner', action) ? 'allow' : 'FORBIDDEN', `${key} [${v.name}] owner: ${action}`)
      t.equal(expected(v.expect, 'member'), can('member', action) ? 'allow' : 'FORBIDDEN', `${key} [${v.name}] member: ${action}`)
    }
  }
})

t.test('every /api/admin route is the admin\'s alone in the matrix', async (t) => {
  const app = await build(t)
  const adminRoutes = listRoutes(app).filter((r) => r.key.split(' ')[1]?.startsWith('/api/admin/') === true)
  t.ok(adminRoutes.length >= 6, `${adminRoutes.length} admin routes`)
  for (const r of adminRoutes) {
    for (const v of RULES[r.key]?.variants ?? []) {
      t.same(ROLES.map((role) => expected(v.expect, role)), ROLES.map((role) => role === 'admin' ? 'allow' : role === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN'), `${r.key} [${v.name}]`)
    }
  }
})

t.test('HTTP routes x roles: expected outcome, no write when denied, no secret crosses', async (t) => {
  const app = await build(t)
  const routes = listRoutes(app).filter((r) => RULES[r.key] !== undefined)
  let cells = 0
  let worlds = 0
  // A world is made again only after a variant changed it: one whose tables hash the same at
  // its end as at its start (every denied variant, and most reads) leaves it as made.
  let pristine: World | undefined
  for (const route of routes) {
    const rule = RULES[route.key]!
    for (const variant of rule.variants) {
      // Denied cells first, on one world: they are checked to write nothing, so it stays as made.
      // Allowed cells then share it too (each acts on its own things), unless the rule says `fresh`.
      const roles = [...ROLES].sort((a, b) => Number(expected(variant.expect, a) === 'allow') - Number(expected(variant.expect, b) === 'allow'))
      if (pristine === undefined) worlds++
      const shared = pristine ?? await makeWorld(app)
      const atStart = JSON.stringify(await snapshot(app))
      let sharedUsed = false
      for (const role of roles) {
        const allowed = expected(variant.expect, role) === 'allow'
        const w = rule.fresh !== true || !allowed || !sharedUsed ? shared : await makeWorld(app)
        if (allowed) sharedUsed = true
        const req = variant.request(w, role)
        const headers = { ...(user(w, role)?.auth ?? {}), ...(req.headers ?? {}) }
        if (req.headers !== undefined && Object.keys(req.headers).length === 0 && role !== 'anonymous') delete headers.authorization
        const before = allowed ? undefined : await snapshot(app)
        const res = await app.inject({ method: (req.method ?? 'GET') as 'GET', url: req.url, headers, ...(req.payload === undefined ? {} : { payload: req.payload as any }) })
        const body = res.headers['content-type']?.toString().startsWith('application/json') === true && res.body !== '' ? res.json() : undefined
        const got = outcomeOf(res.statusCode, body)
        const label = `${route.key} [${variant.name}] as ${role}`
        cells++
        if (got !== expected(variant.expect, role)) t.fail(`${label}: expected ${expected(variant.expect, role)}, got ${res.statusCode} ${res.body.slice(0, 160)}`)
        if (res.statusCode >= 400) {
          const problem = restErrorProblem(res)
          if (problem !== undefined) t.fail(`${label}: ${problem}`)
          if (before === undefined || JSON.stringify(await snapshot(app)) !== JSON.stringify(before)) t.fail(`${label}: denied but a table changed`)
        }
        const leaked = leaks(res.body, w, role)
        if (leaked.length > 0) t.fail(`${label}: leaked ${leaked.join(', ')}`)
        const problem = res.statusCode < 300 && body !== undefined ? variant.check?.(body, w, role) : undefined
        if (problem !== undefined) t.fail(`${label}: ${problem}`)
      }
      pristine = JSON.stringify(await snapshot(app)) === atStart ? shared : undefined
    }
  }
  t.ok(cells >= routes.length * ROLES.length, `${cells} cells checked`)
  t.comment(`${worlds} worlds made for ${cells} cells`)
})

/** Socket rules: payload by role and expected outcome (anonymous cannot connect at all). */
interface EventRule { name: string, payload: (w: World, role: Role, fresh: () => string) => unknown, expect: Record<Exclude<Role, 'anonymous' | 'admin'>, Outcome> }
const EVENT_RULES: Record<string, EventRule[]> = {
  'auth:refresh': [{ name: 'own fresh token', payload: (_w, _role, fresh) => ({ token: fresh() }), expect: { owner: 'allow', member: 'allow', nonMember: 'allow', blocked: 'allow' } },
    { name: 'the owner\'s token on another user\'s socket', payload: (w) => ({ token: w.O.token }), expect: { owner: 'allow', member: 'UNAUTHORIZED', nonMember: 'UNAUTHORIZED', blocked: 'UNAUTHORIZED' } }],
  typing: [{ name: 'in G', payload: (w) => ({ conversationId: w.G, typing: true }), expect: { owner: 'allow', member: 'allow', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } },
    { name: 'in channel C: members (not relayed)', payload: (w) => ({ conversationId: w.C, typing: true }), expect: { owner: 'allow', member: 'allow', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }],
  signal: [{ name: 'to the owner', payload: (w) => ({ toUserId: w.O.id, name: 'call', payload: { sdp: 'x' } }), expect: { owner: 'VALIDATION', member: 'allow', nonMember: 'FORBIDDEN', blocked: 'FORBIDDEN' } }],
  'message:send': [
    { name: 'into G', payload: (w) => ({ conversationId: w.G, clientMsgId: randomUUID(), type: 'text', content: 'hello' }), expect: { owner: 'allow', member: 'allow', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } },
    { name: 'toUserId owner', payload: (w) => ({ toUserId: w.O.id, clientMsgId: randomUUID(), type: 'text', content: 'hello' }), expect: { owner: 'VALIDATION', member: 'allow', nonMember: 'FORBIDDEN', blocked: 'FORBIDDEN' } },
    { name: 'into D2 after the block', payload: (w) => ({ conversationId: w.D2, clientMsgId: randomUUID(), type: 'text', content: 'hello' }), expect: { owner: 'FORBIDDEN', member: 'NOT_FOUND', nonMember: 'NOT_FOUND', blocked: 'FORBIDDEN' } },
    { name: 'into channel C: members', payload: (w) => ({ conversationId: w.C, clientMsgId: randomUUID(), type: 'text', content: 'hello' }), expect: { owner: 'allow', member: 'allow', nonMember: 'FORBIDDEN', blocked: 'FORBIDDEN' } },
    { name: 'a reply in a thread of G', payload: (w) => ({ conversationId: w.G, clientMsgId: randomUUID(), type: 'text', content: 'hello', threadRootId: w.gMessageId }), expect: { owner: 'allow', member: 'allow', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }
  ],
  'message:read': [{ name: 'G', payload: (w) => ({ conversationId: w.G, seq: 1 }), expect: { owner: 'allow', member: 'allow', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } },
    { name: 'channel C', payload: (w) => ({ conversationId: w.C, seq: 1 }), expect: { owner: 'allow', member: 'allow', nonMember: 'FORBIDDEN', blocked: 'FORBIDDEN' } }],
  'message:delivered': [{ name: 'G', payload: (w) => ({ conversationId: w.G, seq: 1 }), expect: { owner: 'allow', member: 'allow', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } },
    { name: 'channel C', payload: (w) => ({ conversationId: w.C, seq: 1 }), expect: { owner: 'allow', member: 'allow', nonMember: 'FORBIDDEN', blocked: 'FORBIDDEN' } }],
  sync: [{ name: 'cursors of G and D2', payload: (w) => ({ cursors: { [w.G]: 0, [w.D2]: 0 } }), expect: { owner: 'allow', member: 'allow', nonMember: 'allow', blocked: 'allow' } }],
  'message:edit': [{ name: 'the owner\'s message in G', payload: (w) => ({ messageId: w.gMessageId, content: 'edited' }), expect: { owner: 'allow', member: 'FORBIDDEN', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }],
  'message:pin': [{ name: 'the owner\'s message in G: owner and admins', payload: (w) => ({ messageId: w.gMessageId, pinned: true }), expect: { owner: 'allow', member: 'FORBIDDEN', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }],
  'reaction:add': [{ name: 'G', payload: (w) => ({ messageId: w.gMessageId, emoji: '👍' }), expect: { owner: 'allow', member: 'allow', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }],
  'reaction:remove': [{ name: 'G', payload: (w) => ({ messageId: w.gMessageId, emoji: '👍' }), expect: { owner: 'allow', member: 'allow', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }],
  'poll:vote': [{ name: 'the owner\'s poll in G', payload: (w) => ({ messageId: w.pollId, optionIndexes: [1] }), expect: { owner: 'allow', member: 'allow', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }],
  'poll:close': [{ name: 'the owner\'s poll in G: its creator, the owner and admins', payload: (w) => ({ messageId: w.pollId }), expect: { owner: 'allow', member: 'FORBIDDEN', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }],
  'message:link-preview:remove': [{ name: 'the owner\'s message in G: only its sender', payload: (w) => ({ messageId: w.gMessageId }), expect: { owner: 'allow', member: 'FORBIDDEN', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }],
  // last: it changes the message the others were tested against
  'message:recall': [{ name: 'the owner\'s message in G', payload: (w) => ({ messageId: w.gMessageId }), expect: { owner: 'allow', member: 'FORBIDDEN', nonMember: 'NOT_FOUND', blocked: 'NOT_FOUND' } }]
}

t.test('every socket event has a rule in the matrix', async (t) => {
  const app = await build(t)
  t.same(listEvents(app).filter((e) => EVENT_RULES[e] === undefined), [], 'events without an authorisation rule: add one to EVENT_RULES')
})

t.test('socket events x roles: expected ack, no write when denied, no secret reaches another role\'s socket', async (t) => {
  const { app, url } = await listen(t)
  const w = await makeWorld(app)
  t.equal(await refused(openSocket(t, url, undefined)), 'UNAUTHORIZED', 'anonymous: the handshake is refused, so no event is ever handled')
  const sockets: Record<string, Client> = {}
  for (const role of ROLES.filter((r) => r !== 'anonymous' && r !== 'admin')) sockets[role] = await connect(t, url, { accessToken: user(w, role)!.token })
  // last the events that end what the others act on: closing the poll, recalling the message
  const rank = (e: string): number => ['poll:close', 'message:recall'].indexOf(e)
  const order = listEvents(app).sort((a, b) => rank(a) - rank(b))
  for (const event of order) {
    for (const rule of EVENT_RULES[event] ?? []) {
      for (const role of ['blocked', 'nonMember', 'member', 'owner'] as const) {
        const before = await snapshot(app, PRESENCE)
        const ack = await sockets[role]!.call(event, rule.payload(w, role, () => app.signAccessToken(user(w, role)!.id)))
        const got = ack?.ok === true ? 'allow' : ack?.error?.code
        const label = `${event} [${rule.name}] as ${role}`
        if (got !== rule.expect[role]) t.fail(`${label}: expected ${rule.expect[role]}, got ${JSON.stringify(ack).slice(0, 160)}`)
        if (ack?.ok !== true) {
          const problem = ackErrorProblem(ack)
          if (problem !== undefined) t.fail(`${label}: ${problem}`)
          if (JSON.stringify(await snapshot(app, PRESENCE)) !== JSON.stringify(before)) t.fail(`${label}: denied but a table changed`)
        }
        const leaked = leaks(JSON.stringify(ack), w, role)
        if (leaked.length > 0) t.fail(`${label}: ack leaked ${leaked.join(', ')}`)
      }
    }
  }
  await settle(300)
  for (const role of ['blocked', 'nonMember', 'member', 'owner'] as const) {
    const leaked = leaks(JSON.stringify(sockets[role]!.events), w, role)
    t.same(leaked, [], `${role}'s socket received no secret it may not see (${sockets[role]!.events.length} events)`)
  }
  const typingSeen = (role: Role) => sockets[role]!.of('typing').filter((p: any) => p.conversationId === w.G).length
  t.equal(typingSeen('nonMember') + typingSeen('blocked'), 0, 'typing in G reached no outsider')
  t.ok(sockets.member!.of('message:new').some((p: any) => p.conversationId === w.G), 'the member did receive G\'s messages (the matrix is live)')
})
