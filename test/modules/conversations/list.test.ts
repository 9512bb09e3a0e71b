import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../../helper.js'
import { befriend, makeGroup, makeUser, makeUsers, type User } from './helpers.js'

const send = async (app: Awaited<ReturnType<typeof build>>, user: User, conversationId: string, content: string) => {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: user.auth, payload: { clientMsgId: randomUUID(), type: 'text', content } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json()
}

t.test('GET /conversations lists mine, newest activity first, with last message, cursors and unread', async (t) => {
  const app = await build(t)
  const [me, friend, other] = await makeUsers(app, 3)
  await befriend(app, me!, friend!)
  const direct = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: me!.auth, payload: { userId: friend!.id } })).json().id
  const group = await makeGroup(app, other!, [me!], 'book club')
  await makeGroup(app, other!, [], 'not mine')

  await send(app, friend!, direct, 'one')
  await send(app, friend!, direct, 'two')
  await send(app, me!, direct, 'mine')
  const res = await app.inject({ method: 'GET', url: '/api/conversations', headers: me!.auth })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-next-cursor'], undefined)
  const list = res.json()
  t.same(list.map((c: any) => c.id), [direct, group])
  const [d, g] = list
  t.match(d, { type: 'direct', lastSeq: 3, readSeq: 3, unread: 0, lastMessage: { seq: 3, content: 'mine', senderId: me!.id, sender: { id: me!.id } } })
  t.match(d.peer, { id: friend!.id, username: friend!.username, presence: { online: false } })
  t.match(g, { type: 'group', name: 'book club', ownerId: other!.id, lastMessage: null, lastSeq: 0, unread: 0 })

  // unread counts others' messages after my read cursor; recalled ones do not count
  await send(app, other!, group, 'g1')
  const g2 = await send(app, other!, group, 'g2')
  await send(app, other!, group, 'g3')
  await app.prisma.message.update({ where: { id: g2.id }, data: { content: undefined, recalledAt: new Date() } })
  const after = (await app.inject({ method: 'GET', url: '/api/conversations', headers: me!.auth })).json()
  t.same(after.map((c: any) => c.id), [group, direct], 'activity moved the group to the top')
  t.match(after[0], { lastSeq: 3, readSeq: 0, unread: 2, lastMessage: { seq: 3, content: 'g3' } })
  const single = await app.inject({ method: 'GET', url: `/api/conversations/${group}`, headers: me!.auth })
  t.same(single.json(), after[0])

  const foreign = await app.inject({ method: 'GET', url: `/api/conversations/${direct}`, headers: other!.auth })
  t.equal(foreign.statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: `/api/conversations/${randomUUID()}`, headers: me!.auth })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/api/conversations/x', headers: me!.auth })).json().error.code, 'VALIDATION')
  t.equal((await app.inject({ method: 'GET', url: '/api/conversations' })).statusCode, 401)
})

t.test('keyset pages through every conversation exactly once', async (t) => {
  const app = await build(t)
  const me = await makeUser(app)
  const ids: string[] = []
  for (let i = 0; i < 7; i++) ids.push(await makeGroup(app, me, [], `g${i}`))
  // give some of them activity in a known order
  await send(app, me, ids[2]!, 'x')
  await send(app, me, ids[5]!, 'y')
  const seen: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const res = await app.inject({ method: 'GET', url: `/api/conversations?limit=3${cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers: me.auth })
    t.equal(res.statusCode, 200)
    const page = res.json()
    t.ok(page.length <= 3)
    seen.push(...page.map((c: any) => c.id))
    cursor = res.headers['x-next-cursor'] as string | undefined
    pages++
  } while (cursor !== undefined && pages < 10)
  t.equal(pages, 3)
  t.same([...seen].sort(), [...ids].sort())
  t.same(seen.slice(0, 2), [ids[5], ids[2]], 'newest activity first')

  for (const bad of ['?limit=0', '?limit=101', '?limit=abc', '?cursor=garbage', `?cursor=${Buffer.from('2020-01-01T00:00:00.000Z|nope').toString('base64url')}`]) {
    const res = await app.inject({ method: 'GET', url: `/api/conversations${bad}`, headers: me.auth })
    t.equal(res.statusCode, 400, bad)
    t.equal(res.json().error.code, 'VALIDATION')
  }
})
