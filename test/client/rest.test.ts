// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t, { type Test } from 'tap'
import { ClientError, createClient, type Client } from '@relay-im/client'
import { next, server, type Server } from './fixtures.js'

const password = 'correct horse battery'
const uniq = (): string => `sdk${process.pid}_${Math.floor(Math.random() * 1e9)}`

function fresh (t: Test, srv: Server): Client {
  const client = createClient({ url: srv.url, reconnect: { baseMs: 50, maxMs: 400 } })
  t.teardown(() => { client.close() })
  return client
}

t.test('REST helpers: a whole app flow, with typed errors from the error body', async (t) => {
  const srv = await server(t)
  const alice = fresh(t, srv)
  const bob = fresh(t, srv)
  const aliceName = uniq()
  const bobName = uniq()

  const tokens = next(alice, 'tokens')
  const session = await alice.register({ username: aliceName, password, displayName: 'Alice' })
  t.match(session, { user: { username: aliceName, displayName: 'Alice' }, accessToken: String, refreshToken: String })
  t.same(await tokens, { accessToken: session.accessToken, refreshToken: session.refreshToken })
  await bob.register({ username: bobName, password })

  const dup = await fresh(t, srv).register({ username: aliceName, password }).catch((e: unknown) => e)
  t.ok(dup instanceof ClientError)
  t.match(dup, { code: 'CONFLICT', status: 409 })
  const wrong = await fresh(t, srv).login({ username: aliceName, password: 'wrong password' }).catch((e: unknown) => e)
  t.match(wrong, { code: 'UNAUTHORIZED', status: 401, message: String })
  const noSession = await fresh(t, srv).me().catch((e: unknown) => e)
  t.match(noSession, { code: 'UNAUTHORIZED' })

  t.equal((await alice.me()).username, aliceName)
  t.equal((await alice.updateMe({ displayName: 'Alice B' })).displayName, 'Alice B')
  const found = await alice.searchUsers(bobName)
  t.same(found.map((u) => u.username), [bobName])
  const bobId = found[0]!.id
  t.match(await alice.getUser(bobId), { id: bobId, presence: { online: Boolean } })
  t.match(await alice.searchUsers('').catch((e: unknown) => e), { code: 'VALIDATION', status: 400 })

  // Friends: request, live event, accept.
  await bob.connect()
  const live = next(bob, 'friend:request')
  const request = await alice.sendFriendRequest(bobId, 'hi')
  t.match(request, { fromUserId: alice.user!.id, toUserId: bobId, status: 'pending', message: 'hi' })
  t.match(await live, { id: request.id, from: { username: aliceName } })
  t.same((await alice.friendRequests('outgoing')).map((r) => r.id), [request.id])
  t.same((await bob.friendRequests()).map((r) => r.id), [request.id])
  t.match(await bob.acceptFriendRequest(request.id), { status: 'accepted' })
  t.same((await alice.friends()).map((f) => f.user.id), [bobId])
  t.match(await alice.relation(bobId), { isFriend: true, blocked: false, blockedBy: false })

  // Conversations.
  const direct = await alice.directConversation(bobId)
  t.match(direct, { type: 'direct', lastSeq: 0 })
  t.equal((await alice.directConversation(bobId)).id, direct.id, 'get-or-create')
  const g = await alice.createGroup('team', [bobId])
  t.match(g, { type: 'group', name: 'team' })
  for (let i = 1; i <= 5; i++) await alice.postMessage(direct.id, { clientMsgId: `m${i}`, type: 'text', content: `m${i}` })
  const latest = await alice.history(direct.id, { limit: 2 })
  t.same(latest.messages.map((m) => m.seq), [5, 4])
  t.equal(latest.hasMore, true)
  t.same((await alice.history(direct.id, { before: 4, limit: 10 })).messages.map((m) => m.seq), [3, 2, 1])
  t.same((await alice.history(direct.id, { after: 3 })).messages.map((m) => m.seq), [4, 5])
  t.same(await bob.markReadRest(direct.id, 3), { readSeq: 3 })
  const list = await bob.conversations()
  t.match(list.find((c) => c.id === direct.id), { lastSeq: 5, readSeq: 3, unread: 2 })
  t.match(await alice.history('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e), { code: 'NOT_FOUND', status: 404 })

  // Blocks and unfriending.
  t.match(await alice.block(bobId), { userId: bobId })
  t.same((await alice.blocks()).map((b) => b.user.id), [bobId])
  const blocked = await bob.postMessage(direct.id, { clientMsgId: 'x', type: 'text', content: 'x' }).catch((e: unknown) => e)
  t.match(blocked, { code: 'FORBIDDEN', status: 403 })
  await alice.unblock(bobId)
  t.same(await alice.blocks(), [])

  // A request declined, another cancelled.
  const again = await alice.sendFriendRequest(bobId)
  t.match(await bob.declineFriendRequest(again.id), { status: 'declined' })
  const third = await alice.sendFriendRequest(bobId)
  await alice.cancelFriendRequest(third.id)
  t.same(await bob.friendRequests(), [])

  // Logout ends the session: the old refresh token is refused.
  const { refreshToken } = alice.tokens
  await alice.logout()
  t.equal(alice.status, 'offline')
  const refused = await srv.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } })
  t.equal(refused.statusCode, 401)
  t.match(await alice.me().catch((e: unknown) => e), { code: 'UNAUTHORIZED' })
})

t.test('network failures are ClientError NETWORK', async (t) => {
  const client = createClient({ url: 'http://127.0.0.1:1' })
  t.teardown(() => { client.close() })
  t.match(await client.login({ username: 'someone', password }).catch((e: unknown) => e), { code: 'NETWORK', status: 0 })
})

t.test('conversationsPage walks every page with the x-next-cursor header; conversations() keeps its array', async (t) => {
  const srv = await server(t)
  const alice = fresh(t, srv)
  const bob = fresh(t, srv)
  await alice.register({ username: uniq(), password })
  const bobId = (await bob.register({ username: uniq(), password })).user.id
  const request = await alice.sendFriendRequest(bobId)
  await bob.acceptFriendRequest(request.id)
  const made: string[] = []
  for (let i = 1; i <= 5; i++) made.push((await alice.createGroup(`g${i}`, [bobId])).id)

  const seen: string[] = []
  const sizes: number[] = []
  let cursor: string | undefined
  for (let page = 0; page < 10; page++) {
    const res = await alice.conversationsPage({ limit: 2, cursor })
    seen.push(...res.conversations.map((c) => c.id))
    sizes.push(res.conversations.length)
    cursor = res.nextCursor
    if (cursor === undefined) {
      t.notOk('nextCursor' in res, 'the last page has no nextCursor')
      break
    }
    t.type(cursor, 'string')
  }
  t.same(sizes, [2, 2, 1], 'three pages of at most 2')
  t.same(seen, [...made].reverse(), 'every conversation once, newest activity first')

  const plain = await alice.conversations({ limit: 2 })
  t.ok(Array.isArray(plain), 'conversations() still returns the array')
  t.same(plain.map((c) => c.id), seen.slice(0, 2))
})
