import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { build, listen, registerUser } from '../../helper.js'
import { connect, openSocket, refused, sleep } from '../presence/helpers.js'
import { snapshot } from '../../security/surface.js'
import { makeBot } from './helpers.js'

t.test('POST /bots: 201 {bot, token}; the token is stored as its SHA-256 only and shown once', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const res = await app.inject({ method: 'POST', url: '/api/bots', headers: owner.auth, payload: { username: '  Helper_Bot1 ', displayName: ' Helper ' } })
  t.equal(res.statusCode, 201, res.body)
  const { bot, token } = res.json()
  t.match(bot, { username: 'helper_bot1', displayName: 'Helper', isBot: true, webhook: null })
  t.match(token, /^rbot_[A-Za-z0-9_-]{43}$/, '256 random bits, base64url')
  const row = await app.prisma.bot.findUniqueOrThrow({ where: { userId: bot.id } })
  t.equal(row.ownerId, owner.id, 'the creator owns it')
  t.equal(row.tokenHash, createHash('sha256').update(token).digest('hex'), 'SHA-256 of the token')
  t.notOk(JSON.stringify(await app.prisma.bot.findMany()).includes(token), 'the token itself is not stored')

  const list = await app.inject({ method: 'GET', url: '/api/bots', headers: owner.auth })
  t.equal(list.statusCode, 200)
  t.same(list.json().map((b: any) => b.id), [bot.id])
  t.notOk(list.body.includes(token), 'never shown again')

  const profile = await app.inject({ method: 'GET', url: `/api/users/${bot.id as string}`, headers: owner.auth })
  t.equal(profile.json().isBot, true, 'isBot: true on its user object')
  const human = await app.inject({ method: 'GET', url: `/api/users/${owner.id}`, headers: owner.auth })
  t.equal(human.json().isBot, undefined, 'absent on people')
})

t.test('bad input: clear error, nothing written', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const taken = await makeBot(app, owner)
  const before = await snapshot(app)
  const cases: Array<[string, unknown, string]> = [
    ['no body', undefined, 'VALIDATION'],
    ['bad username', { username: 'a b', displayName: 'x' }, 'VALIDATION'],
    ['short username', { username: 'ab', displayName: 'x' }, 'VALIDATION'],
    ['blank display name', { username: 'okname1', displayName: '   ' }, 'VALIDATION'],
    ['no display name', { username: 'okname1' }, 'VALIDATION'],
    ['extra field', { username: 'okname1', displayName: 'x', isBot: false }, 'VALIDATION'],
    ['taken username (a person\'s)', { username: owner.username, displayName: 'x' }, 'CONFLICT'],
    ['taken username (a bot\'s)', { username: taken.username.toUpperCase(), displayName: 'x' }, 'CONFLICT']
  ]
  for (const [what, payload, code] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/bots', headers: owner.auth, ...(payload === undefined ? {} : { payload: payload as object }) })
    t.equal(res.json().error?.code, code, what)
  }
  t.equal((await app.inject({ method: 'DELETE', url: '/api/bots/not-a-uuid', headers: owner.auth })).json().error.code, 'VALIDATION', 'bad id')
  t.same(await snapshot(app), before, 'nothing written')
})

t.test('a bot cannot create bots; one user owns at most 20', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  const res = await app.inject({ method: 'POST', url: '/api/bots', headers: bot.auth, payload: { username: `b${randomUUID().slice(0, 8)}`, displayName: 'x' } })
  t.equal(res.json().error.code, 'FORBIDDEN')
  for (let i = 1; i < 20; i++) await makeBot(app, owner)
  const over = await app.inject({ method: 'POST', url: '/api/bots', headers: owner.auth, payload: { username: `b${randomUUID().slice(0, 8)}`, displayName: 'x' } })
  t.equal(over.json().error.code, 'CONFLICT')
})

t.test('Authorization: Bot <token> on REST; garbage, unknown, Bearer-shaped and rotated tokens are refused', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  const me = await app.inject({ method: 'GET', url: '/api/users/me', headers: bot.auth })
  t.equal(me.statusCode, 200)
  t.equal(me.json().id, bot.id, 'the bot itself')
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `bot ${bot.token}` } })).statusCode, 200, 'scheme is case-insensitive')
  for (const [what, header] of [
    ['garbage', 'Bot garbage'],
    ['unknown token of the right shape', `Bot rbot_${'A'.repeat(43)}`],
    ['empty', 'Bot '],
    ['the bot token as a Bearer', `Bearer ${bot.token}`],
    ['a user access token as a Bot token', `Bot ${owner.accessToken}`],
    ['two tokens', `Bot ${bot.token} ${bot.token}`],
    ['4 KB', `Bot ${'a'.repeat(4096)}`]
  ]) {
    const res = await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: header! } })
    t.equal(res.json().error?.code, 'UNAUTHORIZED', what!)
  }
  const rotated = await app.inject({ method: 'POST', url: `/api/bots/${bot.id}/token`, headers: owner.auth })
  t.equal(rotated.statusCode, 200)
  const fresh = rotated.json().token as string
  t.not(fresh, bot.token)
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: bot.auth })).json().error?.code, 'UNAUTHORIZED', 'the old token is revoked')
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bot ${fresh}` } })).statusCode, 200, 'the new one works')
})

t.test('bots cannot log in with a password or refresh', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  for (const password of ['!', 'correct horse battery', '']) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: bot.username, password } })
    t.ok(res.statusCode === 401 || res.statusCode === 400, `login with ${JSON.stringify(password)}: ${res.statusCode}`)
  }
  const refresh = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: bot.token } })
  t.equal(refresh.json().error.code, 'UNAUTHORIZED', 'a bot token is no refresh token')
})

t.test('owner only: another user gets NOT_FOUND for every bot route; DELETE erases the bot', async (t) => {
  const app = await build(t)
  const [owner, other] = [await registerUser(app), await registerUser(app)]
  const bot = await makeBot(app, owner)
  const before = await snapshot(app)
  for (const [method, url] of [['DELETE', `/api/bots/${bot.id}`], ['POST', `/api/bots/${bot.id}/token`], ['DELETE', `/api/bots/${bot.id}/webhook`], ['GET', `/api/bots/${bot.id}/deliveries`], ['DELETE', `/api/bots/${randomUUID()}`]] as const) {
    const res = await app.inject({ method, url, headers: other.auth })
    t.equal(res.json().error?.code, 'NOT_FOUND', `${method} ${url}`)
  }
  // A bot is not its own owner either.
  t.equal((await app.inject({ method: 'DELETE', url: `/api/bots/${bot.id}`, headers: bot.auth })).json().error?.code, 'NOT_FOUND', 'the bot itself')
  t.same((await app.inject({ method: 'GET', url: '/api/bots', headers: other.auth })).json(), [], 'not in another\'s list')
  t.same(await snapshot(app), before, 'nothing written')

  const del = await app.inject({ method: 'DELETE', url: `/api/bots/${bot.id}`, headers: owner.auth })
  t.equal(del.statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: bot.auth })).json().error?.code, 'UNAUTHORIZED', 'its token stops working')
  const row = await app.prisma.user.findUniqueOrThrow({ where: { id: bot.id } })
  t.ok(row.deletedAt !== null, 'tombstoned like a deleted account')
  t.same((await app.inject({ method: 'GET', url: '/api/bots', headers: owner.auth })).json(), [])
  t.equal((await app.inject({ method: 'DELETE', url: `/api/bots/${bot.id}`, headers: owner.auth })).json().error?.code, 'NOT_FOUND', 'twice: NOT_FOUND')
})

t.test('suspending the bot or its owner refuses the token (FORBIDDEN "Suspended"); deleting the owner deletes its bots', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  await app.prisma.user.update({ where: { id: bot.id }, data: { suspendedAt: new Date() } })
  let res = await app.inject({ method: 'GET', url: '/api/users/me', headers: bot.auth })
  t.match(res.json().error, { code: 'FORBIDDEN', message: 'Suspended' }, 'bot suspended')
  await app.prisma.user.update({ where: { id: bot.id }, data: { suspendedAt: null } })
  await app.prisma.user.update({ where: { id: owner.id }, data: { suspendedAt: new Date() } })
  res = await app.inject({ method: 'GET', url: '/api/users/me', headers: bot.auth })
  t.match(res.json().error, { code: 'FORBIDDEN', message: 'Suspended' }, 'owner suspended')
  await app.prisma.user.update({ where: { id: owner.id }, data: { suspendedAt: null } })
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: bot.auth })).statusCode, 200, 'lifted: works again')

  const gone = await app.inject({ method: 'DELETE', url: '/api/users/me', headers: owner.auth, payload: { password: 'correct horse battery' } })
  t.equal(gone.statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: '/api/users/me', headers: bot.auth })).json().error?.code, 'UNAUTHORIZED', 'the owner\'s bots go with the account')
  t.ok((await app.prisma.user.findUniqueOrThrow({ where: { id: bot.id } })).deletedAt !== null)
})

t.test('a bot is added to a group without friendship, and sends in it', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  const other = await registerUser(app)
  const group = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'with a bot', memberIds: [other.id] } })
  t.equal(group.statusCode, 201, group.body)
  const id = group.json().id as string
  const add = await app.inject({ method: 'POST', url: `/api/groups/${id}/members`, headers: owner.auth, payload: { userIds: [bot.id] } })
  t.equal(add.statusCode, 200, add.body)
  const sent = await app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, headers: bot.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'beep' } })
  t.equal(sent.statusCode, 201, sent.body)
  t.equal(sent.json().senderId, bot.id)
  const history = await app.inject({ method: 'GET', url: `/api/conversations/${id}/messages`, headers: other.auth })
  t.ok(history.json().messages.some((m: any) => m.content === 'beep'), 'the members see it')
})

t.test('Socket.IO handshake: "Bot <token>" in auth.token or the Authorization header; bad tokens refused; rotation and deletion cut live sockets', async (t) => {
  const { app, url } = await listen(t)
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  const viaAuth = await connect(t, url, { token: `Bot ${bot.token}` })
  const viaHeader = await connect(t, url, { token: undefined as unknown as string }, { auth: {}, extraHeaders: { authorization: `Bot ${bot.token}` } })
  const conv = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'g', memberIds: [bot.id] } })
  const id = conv.json().id as string
  const ack = await viaAuth.call('message:send', { conversationId: id, clientMsgId: randomUUID(), type: 'text', content: 'hi from a socket' })
  t.equal(ack.ok, true, JSON.stringify(ack))
  await viaHeader.waitFor('message:new')
  for (const [what, token] of [['garbage', 'Bot nope'], ['unknown', `Bot rbot_${'B'.repeat(43)}`], ['bare "Bot"', 'Bot'], ['raw token without the scheme', bot.token]]) {
    t.equal(await refused(openSocket(t, url, token)), 'UNAUTHORIZED', what!)
  }
  t.equal(await refused(openSocket(t, url, undefined, { extraHeaders: { authorization: 'Bot garbage' } })), 'UNAUTHORIZED', 'garbage in the header')

  const rotated = await app.inject({ method: 'POST', url: `/api/bots/${bot.id}/token`, headers: owner.auth })
  t.equal(await viaAuth.disconnected, 'io server disconnect', 'rotation cuts the sockets of the old token')
  await viaHeader.disconnected
  t.equal(await refused(openSocket(t, url, `Bot ${bot.token}`)), 'UNAUTHORIZED', 'the old token no longer connects')
  const again = await connect(t, url, { token: `Bot ${rotated.json().token as string}` })
  await sleep(50)
  t.equal(again.socket.connected, true, 'the new token connects and stays')
  await app.inject({ method: 'DELETE', url: `/api/bots/${bot.id}`, headers: owner.auth })
  t.equal(await again.disconnected, 'io server disconnect', 'deletion cuts it')
})

t.test('an admin suspending the owner cuts the bot\'s sockets', async (t) => {
  const { app, url } = await listen(t)
  const owner = await registerUser(app)
  const admin = await registerUser(app)
  await app.prisma.user.update({ where: { id: admin.id }, data: { role: 'admin' } })
  const adminToken = app.signAccessToken(admin.id, 'admin')
  const bot = await makeBot(app, owner)
  const socket = await connect(t, url, { token: `Bot ${bot.token}` })
  const res = await app.inject({ method: 'POST', url: `/api/admin/users/${owner.id}/suspend`, headers: { authorization: `Bearer ${adminToken}` }, payload: { reason: 'spam' } })
  t.equal(res.statusCode, 200, res.body)
  t.equal(await socket.disconnected, 'io server disconnect')
  t.equal(await refused(openSocket(t, url, `Bot ${bot.token}`)), 'UNAUTHORIZED', 'no reconnect while the owner is suspended')
})

t.test('upper-case bot ids name the same bot on the write routes', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  const up = bot.id.toUpperCase()
  const rotated = await app.inject({ method: 'POST', url: `/api/bots/${up}/token`, headers: owner.auth })
  t.equal(rotated.statusCode, 200, rotated.body)
  const hook = await app.inject({ method: 'PUT', url: `/api/bots/${up}/webhook`, headers: owner.auth, payload: { url: 'https://8.8.8.8/hook', secret: 'sixteen-characters!' } })
  t.equal(hook.statusCode, 200, hook.body)
  t.equal(hook.json().id, bot.id, 'answered with the stored lower-case id')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/bots/${up}/webhook`, headers: owner.auth })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/bots/${up}`, headers: owner.auth })).statusCode, 204)
  t.ok((await app.prisma.user.findUniqueOrThrow({ where: { id: bot.id } })).deletedAt !== null, 'the bot is deleted')
})
