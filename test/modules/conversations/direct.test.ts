import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, listen } from '../../helper.js'
import { befriend, block, connect, makeUsers } from './helpers.js'

t.test('POST /conversations/direct gets or creates the one conversation of a pair of friends', async (t) => {
  const app = await build(t)
  const [a, b] = await makeUsers(app, 2)
  await befriend(app, a!, b!)
  const first = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a!.auth, payload: { userId: b!.id } })
  t.equal(first.statusCode, 200)
  const conv = first.json()
  t.match(conv, { id: String, type: 'direct', lastMessage: null, lastSeq: 0, readSeq: 0, unread: 0 })
  t.notOk('name' in conv)
  t.match(conv.peer, { id: b!.id, username: b!.username, presence: { online: false } })
  t.same(conv.members.map((m: any) => m.id).sort(), [a!.id, b!.id].sort())
  const again = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a!.auth, payload: { userId: b!.id } })
  const reverse = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: b!.auth, payload: { userId: a!.id.toUpperCase() } })
  t.equal(again.json().id, conv.id)
  t.equal(reverse.json().id, conv.id)
  t.equal(reverse.json().peer.id, a!.id)
  const key = [a!.id, b!.id].sort().join(':')
  t.equal(await app.prisma.conversation.count({ where: { directKey: key } }), 1)
})

t.test('concurrent get-or-create from both sides makes one conversation', async (t) => {
  const app = await build(t)
  const [a, b] = await makeUsers(app, 2)
  await befriend(app, a!, b!)
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => app.inject({
    method: 'POST',
    url: '/api/conversations/direct',
    headers: (i % 2 === 0 ? a : b)!.auth,
    payload: { userId: (i % 2 === 0 ? b : a)!.id }
  })))
  t.same(results.map((r) => r.statusCode), Array(8).fill(200))
  t.equal(new Set(results.map((r) => r.json().id)).size, 1)
  t.equal(await app.prisma.conversation.count({ where: { directKey: [a!.id, b!.id].sort().join(':') } }), 1)
})

t.test('friendship is required and blocks count both ways; nothing is created', async (t) => {
  const app = await build(t)
  const [a, b, c, d] = await makeUsers(app, 4)
  const open = async (from: typeof a, to: string) => await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: from!.auth, payload: { userId: to } })

  const strangers = await open(a, b!.id)
  t.equal(strangers.statusCode, 403)
  t.same(strangers.json(), { error: { code: 'FORBIDDEN', message: 'Direct messages require friendship' } })

  await befriend(app, a!, c!)
  await block(app, c!, a!)
  t.equal((await open(a, c!.id)).json().error.code, 'FORBIDDEN')
  t.equal((await open(c, a!.id)).json().error.code, 'FORBIDDEN')

  await befriend(app, a!, d!)
  await block(app, a!, d!)
  t.equal((await open(a, d!.id)).statusCode, 403)
  t.equal((await open(d, a!.id)).statusCode, 403)

  const unknown = await open(a, randomUUID())
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().error.code, 'NOT_FOUND')
  const self = await open(a, a!.id)
  t.equal(self.statusCode, 400)
  t.equal(self.json().error.code, 'VALIDATION')
  t.equal((await open(a, 'nope')).json().error.code, 'VALIDATION')
  const extra = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a!.auth, payload: { userId: b!.id, type: 'group' } })
  t.equal(extra.json().error.code, 'VALIDATION')
  const anon = await app.inject({ method: 'POST', url: '/api/conversations/direct', payload: { userId: b!.id } })
  t.equal(anon.statusCode, 401)
  t.equal(await app.prisma.conversationMember.count({ where: { userId: a!.id } }), 0, 'nothing was created')
})

t.test('the peer carries live presence', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2)
  await befriend(app, a!, b!)
  const open = async () => (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a!.auth, payload: { userId: b!.id } })).json()
  t.same((await open()).peer.presence, { online: false, lastSeenAt: null })
  await connect(t, url, b!)
  let online = false
  for (let i = 0; i < 100 && !online; i++) {
    online = (await open()).peer.presence.online
    if (!online) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal(online, true)
  const list = (await app.inject({ method: 'GET', url: '/api/conversations', headers: a!.auth })).json()
  t.equal(list[0].peer.presence.online, true)
})
