import t from 'tap'
import { listen } from '../../helper.js'
import { connect, directPair, makeGroup, makeUsers, text } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

t.test('pins: owner and admins in groups, either member in direct; listed latest first; REST and socket', async (t) => {
  const { app, url } = await listen(t)
  const [owner, admin, bob] = await makeUsers(app, 3)
  const conversationId = await makeGroup(app, owner!, [admin!, bob!])
  await app.prisma.conversationMember.update({ where: { conversationId_userId: { conversationId, userId: admin!.id } }, data: { role: 'admin' } })
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const m1 = (await sb.call('message:send', { conversationId, ...text('one') })).data
  const m2 = (await sb.call('message:send', { conversationId, ...text('two') })).data

  const pinned = await so.call('message:pin', { messageId: m1.id, pinned: true })
  // rev 3 is the pin's system message (message_pinned), written in the same transaction first
  t.match(pinned.data, { id: m1.id, pinnedBy: owner!.id, rev: 4 })
  t.type(pinned.data.pinnedAt, 'string')
  const [updated] = await sb.waitFor('message:updated')
  t.same(updated, pinned.data)
  const rest = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/pins`, headers: admin!.auth, payload: { messageId: m2.id } })
  t.equal(rest.statusCode, 200)
  t.equal(rest.json().pinnedBy, admin!.id)
  const list = await app.inject({ url: `/api/conversations/${conversationId}/pins`, headers: bob!.auth })
  t.same(list.json().map((m: any) => m.id), [m2.id, m1.id], 'latest pin first')
  t.equal((await so.call('message:pin', { messageId: m1.id, pinned: true })).ok, true, 'pinning twice is a no-op')
  const unpin = await app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/pins/${m2.id}`, headers: owner!.auth })
  t.equal(unpin.statusCode, 204)
  t.same((await app.inject({ url: `/api/conversations/${conversationId}/pins`, headers: bob!.auth })).json().map((m: any) => m.id), [m1.id])

  const { a, b, conversationId: direct } = await directPair(app)
  const sa = await connect(t, url, a)
  const dm = (await sa.call('message:send', { conversationId: direct, ...text('dm') })).data
  const byPeer = await app.inject({ method: 'POST', url: `/api/conversations/${direct}/pins`, headers: b.auth, payload: { messageId: dm.id } })
  t.equal(byPeer.statusCode, 200, 'either member pins in a direct conversation')
})

t.test('pins: every refusal has its code and writes nothing', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, stranger] = await makeUsers(app, 3)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const ids: string[] = []
  for (let i = 0; i < 51; i++) ids.push((await so.call('message:send', { conversationId, ...text(`m${i}`) })).data.id)
  await refused(t, app, 'FORBIDDEN', 'a plain member in a group', async () => await sb.call('message:pin', { messageId: ids[0], pinned: true }))
  await refused(t, app, 'FORBIDDEN', 'REST: a plain member in a group', async () => await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/pins`, headers: bob!.auth, payload: { messageId: ids[0] } }))
  await refused(t, app, 'NOT_FOUND', 'a non-member', async () => await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/pins`, headers: stranger!.auth, payload: { messageId: ids[0] } }))
  await refused(t, app, 'NOT_FOUND', 'a non-member lists', async () => await app.inject({ url: `/api/conversations/${conversationId}/pins`, headers: stranger!.auth }))
  for (let i = 0; i < 50; i++) t.equal((await so.call('message:pin', { messageId: ids[i], pinned: true })).ok, true)
  await refused(t, app, 'CONFLICT', 'a 51st pin', async () => await so.call('message:pin', { messageId: ids[50], pinned: true }))
  await refused(t, app, 'VALIDATION', 'pinned must be a boolean', async () => await so.call('message:pin', { messageId: ids[50], pinned: 'yes' }))
})
