import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { App } from '../../src/app.js'
import { build, listen, registerUser, type TestUser } from '../helper.js'
import { makeBot } from '../modules/bots/helpers.js'
import { connect, makeUsers } from '../modules/conversations/helpers.js'
import { refused } from '../modules/conversations/refusals.js'
import { multipart, SAMPLES } from '../modules/uploads/helpers.js'

/**
 * The text policy (src/lib/text-policy.ts) at the routes that store text: NUL is refused
 * everywhere (it was a 500: PostgreSQL refuses U+0000 in text), and names are labels: one line,
 * no bidi controls, not blank once invisible characters are left out, stored NFC and trimmed.
 * Message bodies stay prose: line breaks and bidi characters are kept.
 */

const NUL = 'a\u0000b'
const LONE = 'a\ud800b'
/** Names that lie about what they are: reversed text, a second line, nothing visible. */
const LYING_NAMES: Array<[string, string]> = [
  ['a right-to-left override', 'admin\u202egnp.exe'],
  ['a left-to-right embedding', 'x\u202ay'],
  ['an isolate', '\u2067name\u2069'],
  ['a right-to-left mark', 'name\u200f'],
  ['a line separator', 'one\u2028two'],
  ['a paragraph separator', 'one\u2029two'],
  ['a line feed', 'one\ntwo'],
  ['a tab', 'one\ttwo'],
  ['a C1 control (NEL)', 'one\u0085two'],
  ['zero-width spaces only', '\u200b\u200b'],
  ['joiners and a BOM only', '\u200d\u200c\ufeff'],
  ['a Hangul filler', '\u3164'],
  ['spaces only', '   '],
  ['NUL', NUL],
  ['a lone surrogate', LONE]
]

const inject = async (app: App, user: TestUser | undefined, method: string, url: string, payload?: unknown) =>
  await app.inject({ method: method as 'POST', url, headers: user?.auth ?? {}, ...(payload === undefined ? {} : { payload: payload as object }) })

t.test('NUL in stored text is VALIDATION, not a 500, and writes nothing', async (t) => {
  // The webhook host is allowed, so a URL reaches the database unless the text rule stops it.
  const app = await build(t, { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1:9' })
  const [alice, bob] = [await registerUser(app), await registerUser(app)]
  const bot = await makeBot(app, alice)
  for (const bad of [NUL, LONE]) {
    const what = bad === NUL ? 'NUL' : 'a lone surrogate'
    await refused(t, app, 'VALIDATION', `register: display name with ${what}`, async () => await inject(app, undefined, 'POST', '/api/auth/register', { username: `u${randomUUID().slice(0, 8)}`, password: 'correct horse battery', displayName: bad }))
    await refused(t, app, 'VALIDATION', `PATCH /users/me: display name with ${what}`, async () => await inject(app, alice, 'PATCH', '/api/users/me', { displayName: bad }))
    await refused(t, app, 'VALIDATION', `friend request message with ${what}`, async () => await inject(app, alice, 'POST', '/api/friends/requests', { toUserId: bob.id, message: bad }))
    await refused(t, app, 'VALIDATION', `bot display name with ${what}`, async () => await inject(app, alice, 'POST', '/api/bots', { username: `b${randomUUID().slice(0, 8)}`, displayName: bad }))
    await refused(t, app, 'VALIDATION', `webhook URL with ${what}`, async () => await inject(app, alice, 'PUT', `/api/bots/${bot.id}/webhook`, { url: `https://127.0.0.1:9/${bad}`, secret: 's'.repeat(32) }))
    await refused(t, app, 'VALIDATION', `webhook secret with ${what}`, async () => await inject(app, alice, 'PUT', `/api/bots/${bot.id}/webhook`, { url: 'https://127.0.0.1:9/x', secret: `${'s'.repeat(20)}${bad}` }))
    await refused(t, app, 'VALIDATION', `a report reason with ${what}`, async () => await inject(app, alice, 'POST', '/api/reports', { userId: bob.id, reason: bad }))
  }
  // (a lone surrogate cannot be percent-encoded: query strings get NUL only)
  await refused(t, app, 'VALIDATION', 'a user search with NUL', async () => await inject(app, alice, 'GET', `/api/users?q=${encodeURIComponent(NUL)}`))
  await refused(t, app, 'VALIDATION', 'a channel search with NUL', async () => await inject(app, alice, 'GET', `/api/channels?q=${encodeURIComponent(NUL)}`))
})

t.test('names are labels: display, group, channel and bot names refuse what would lie about them', async (t) => {
  const app = await build(t)
  const [owner, other] = [await registerUser(app), await registerUser(app)]
  const group = (await inject(app, owner, 'POST', '/api/groups', { name: 'team', memberIds: [other.id] })).json().id as string
  const channel = (await inject(app, owner, 'POST', '/api/channels', { name: 'news' })).json().id as string
  for (const [what, name] of LYING_NAMES) {
    await refused(t, app, 'VALIDATION', `register: display name with ${what}`, async () => await inject(app, undefined, 'POST', '/api/auth/register', { username: `u${randomUUID().slice(0, 8)}`, password: 'correct horse battery', displayName: name }))
    await refused(t, app, 'VALIDATION', `PATCH /users/me: ${what}`, async () => await inject(app, owner, 'PATCH', '/api/users/me', { displayName: name }))
    await refused(t, app, 'VALIDATION', `new group: ${what}`, async () => await inject(app, owner, 'POST', '/api/groups', { name, memberIds: [] }))
    await refused(t, app, 'VALIDATION', `group rename: ${what}`, async () => await inject(app, owner, 'PATCH', `/api/groups/${group}`, { name }))
    await refused(t, app, 'VALIDATION', `group topic: ${what}`, async () => await inject(app, owner, 'PATCH', `/api/groups/${group}`, { topic: name }))
    await refused(t, app, 'VALIDATION', `new channel: ${what}`, async () => await inject(app, owner, 'POST', '/api/channels', { name }))
    await refused(t, app, 'VALIDATION', `new channel topic: ${what}`, async () => await inject(app, owner, 'POST', '/api/channels', { name: 'ok', topic: name }))
    await refused(t, app, 'VALIDATION', `channel rename: ${what}`, async () => await inject(app, owner, 'PATCH', `/api/groups/${channel}`, { name }))
    await refused(t, app, 'VALIDATION', `bot display name: ${what}`, async () => await inject(app, owner, 'POST', '/api/bots', { username: `b${randomUUID().slice(0, 8)}`, displayName: name }))
  }
  const res = await inject(app, owner, 'PATCH', '/api/users/me', { displayName: '\u202e' })
  t.match(res.json().error.message, /body\/displayName: must not contain bidirectional control characters/, 'the message names the field and the rule')
})

t.test('names are stored NFC-normalised and trimmed; real scripts and emoji sequences pass', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const decomposed = 'Cafe\u0301 ' // "Café " with a combining accent
  const me = await inject(app, owner, 'PATCH', '/api/users/me', { displayName: `  ${decomposed}` })
  t.equal(me.statusCode, 200)
  t.equal(me.json().displayName, 'Caf\u00e9', 'NFC and trimmed')
  t.equal((await app.prisma.user.findUniqueOrThrow({ where: { id: owner.id } })).displayName, 'Caf\u00e9', 'stored so')
  const twin = await inject(app, undefined, 'POST', '/api/auth/register', { username: `u${randomUUID().slice(0, 8)}`, password: 'correct horse battery', displayName: 'Caf\u00e9' })
  t.equal(twin.json().user.displayName, me.json().displayName, 'the composed and the decomposed name are the same string')

  for (const name of ['می\u200cخواهم', '👨\u200d👩\u200d👧 fans', 'שלום עולם', '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} club', 'Zoë & 李雷']) {
    const channel = await inject(app, owner, 'POST', '/api/channels', { name })
    t.equal(channel.statusCode, 201, `channel ${name}`)
    t.equal(channel.json().name, name.normalize('NFC'), `kept: ${name}`)
  }
  const group = await inject(app, owner, 'POST', '/api/groups', { name: ' Cafe\u0301 team ', memberIds: [] })
  t.equal(group.json().name, 'Caf\u00e9 team')
  const renamed = await inject(app, owner, 'PATCH', `/api/groups/${group.json().id as string}`, { name: 'Nai\u0308ve', topic: ' the topic ' })
  t.match(renamed.json(), { name: 'Na\u00efve', topic: 'the topic' })
})

t.test('message bodies are prose: line breaks and bidi characters are kept, NUL and lone surrogates are not', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2)
  const group = (await app.inject({ method: 'POST', url: '/api/groups', headers: a!.auth, payload: { name: 'g', memberIds: [b!.id] } })).json().id as string
  const s = await connect(t, url, a!)
  const prose = 'first line\nsecond line\u2028third \u202eעברית\u202c \u200b'
  const sent = await s.call('message:send', { conversationId: group, clientMsgId: randomUUID(), type: 'text', content: prose })
  t.equal(sent.ok, true)
  const stored = await app.prisma.message.findUniqueOrThrow({ where: { id: sent.data.id as string } })
  t.equal(stored.content, prose, 'stored byte for byte')
  await refused(t, app, 'VALIDATION', 'NUL in a text message', async () => await s.call('message:send', { conversationId: group, clientMsgId: randomUUID(), type: 'text', content: NUL }))
  await refused(t, app, 'VALIDATION', 'NUL in a clientMsgId', async () => await s.call('message:send', { conversationId: group, clientMsgId: NUL, type: 'text', content: 'x' }))
  await refused(t, app, 'VALIDATION', 'a lone surrogate in a clientMsgId', async () => await s.call('message:send', { conversationId: group, clientMsgId: LONE, type: 'text', content: 'x' }))
  await refused(t, app, 'VALIDATION', 'NUL in a signal name', async () => await s.call('signal', { toUserId: b!.id, name: NUL, payload: {} }))
})

t.test('file names are labels too: an upload drops what would reorder or break them; a message cannot bring them back', async (t) => {
  const app = await build(t)
  const [a, b] = [await registerUser(app), await registerUser(app)]
  const { payload, headers } = multipart([{ filename: 'invoice\u202efdp.exe\u2028.png', type: 'image/png', data: SAMPLES.png }])
  const up = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...headers, ...a.auth }, payload })
  t.equal(up.statusCode, 201)
  t.equal(up.json().name, 'invoicefdp.exe.png', 'the override and the separator are dropped')
  const group = (await inject(app, a, 'POST', '/api/groups', { name: 'g', memberIds: [b.id] })).json().id as string
  const file = up.json()
  await refused(t, app, 'VALIDATION', 'an image message naming the file with a bidi override', async () => await inject(app, a, 'POST', `/api/conversations/${group}/messages`, { clientMsgId: randomUUID(), type: 'image', content: { ...file, name: 'invoice\u202efdp.exe' } }))
  t.equal((await inject(app, a, 'POST', `/api/conversations/${group}/messages`, { clientMsgId: randomUUID(), type: 'image', content: file })).statusCode, 201, 'the stored name as it is')
})
