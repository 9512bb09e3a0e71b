import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, listen } from '../../helper.js'
import { block, connect, makeGroup, makeUser, makeUsers } from '../conversations/helpers.js'

t.test('POST /groups creates a group with the caller as owner and tells every member', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol] = await makeUsers(app, 3)
  const sb = await connect(t, url, bob!)
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner!.auth, payload: { name: ' Team ', memberIds: [bob!.id, carol!.id, owner!.id] } })
  t.equal(res.statusCode, 201)
  const group = res.json()
  t.match(group, { id: String, type: 'group', name: 'Team', ownerId: owner!.id, lastMessage: null, lastSeq: 0, readSeq: 0, unread: 0 })
  t.notOk('peer' in group)
  t.same(group.members.filter((m: any) => m.role === 'owner').map((m: any) => m.id), [owner!.id])
  t.equal(group.members.length, 3)
  t.same(new Set(group.members.map((m: any) => m.id)), new Set([owner!.id, bob!.id, carol!.id]))
  const [updated] = await sb.waitFor('conversation:updated')
  t.equal(updated.id, group.id)
  t.equal(updated.members.length, 3)
  t.notOk('readSeq' in updated, 'the shared event carries no per-member cursors')

  const alone = await app.inject({ method: 'POST', url: '/api/groups', headers: owner!.auth, payload: { name: 'just me', memberIds: [] } })
  t.equal(alone.statusCode, 201)
  t.equal(alone.json().members.length, 1)
})

t.test('bad group bodies are refused and create nothing', async (t) => {
  const app = await build(t, { GROUP_MAX_MEMBERS: 3 })
  const [owner, a, b, c, blocker] = await makeUsers(app, 5)
  await block(app, blocker!, owner!)
  const cases: Array<[unknown, string]> = [
    [{ name: '', memberIds: [] }, 'VALIDATION'],
    [{ name: '   ', memberIds: [] }, 'VALIDATION'],
    [{ name: 'x'.repeat(65), memberIds: [] }, 'VALIDATION'],
    [{ name: 'nul\u0000', memberIds: [] }, 'VALIDATION'],
    [{ name: 'ok' }, 'VALIDATION'],
    [{ name: 'ok', memberIds: ['nope'] }, 'VALIDATION'],
    [{ name: 'ok', memberIds: [a!.id, a!.id] }, 'VALIDATION'],
    [{ name: 'ok', memberIds: [a!.id], ownerId: a!.id }, 'VALIDATION'],
    [{ name: 7, memberIds: [] }, 'VALIDATION'],
    [{ name: 'too big', memberIds: [a!.id, b!.id, c!.id] }, 'VALIDATION'],
    [{ name: 'ghost', memberIds: [a!.id, randomUUID()] }, 'NOT_FOUND'],
    [{ name: 'blocked', memberIds: [a!.id, blocker!.id] }, 'FORBIDDEN']
  ]
  for (const [payload, code] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner!.auth, payload: payload as object })
    t.equal(res.json().error?.code, code, JSON.stringify(payload))
  }
  const notJson = await app.inject({ method: 'POST', url: '/api/groups', headers: { ...owner!.auth, 'content-type': 'application/json' }, payload: '[1,2' })
  t.equal(notJson.json().error.code, 'VALIDATION')
  t.equal(await app.prisma.conversationMember.count({ where: { userId: owner!.id } }), 0)
  const fits = await app.inject({ method: 'POST', url: '/api/groups', headers: owner!.auth, payload: { name: 'fits', memberIds: [a!.id, b!.id] } })
  t.equal(fits.statusCode, 201)
})

t.test('owner and admins add members; old and new members hear about it', async (t) => {
  const { app, url } = await listen(t, { GROUP_MAX_MEMBERS: 4 })
  const [owner, bob, carol, dave, erin, blocker] = await makeUsers(app, 6)
  const groupId = await makeGroup(app, owner!, [bob!])
  await app.inject({ method: 'POST', url: `/api/conversations/${groupId}/messages`, headers: owner!.auth, payload: { clientMsgId: 'm1', type: 'text', content: 'before carol' } })
  const sb = await connect(t, url, bob!)
  const sc = await connect(t, url, carol!)
  const add = async (actor: typeof owner, userIds: string[]) => await app.inject({ method: 'POST', url: `/api/groups/${groupId}/members`, headers: actor!.auth, payload: { userIds } })

  const byMember = await add(bob, [carol!.id])
  t.equal(byMember.statusCode, 403)
  t.equal(byMember.json().error.code, 'FORBIDDEN')
  const byOutsider = await add(dave, [dave!.id])
  t.equal(byOutsider.statusCode, 404)

  const added = await add(owner, [carol!.id, bob!.id])
  t.equal(added.statusCode, 200)
  t.same(added.json().members.map((m: any) => m.id).sort(), [owner!.id, bob!.id, carol!.id].sort())
  const [forBob] = await sb.waitFor('conversation:updated')
  const [forCarol] = await sc.waitFor('conversation:updated')
  t.equal(forBob.members.length, 3)
  t.same(forCarol, forBob)
  const carolView = await app.inject({ method: 'GET', url: `/api/conversations/${groupId}`, headers: carol!.auth })
  // seq 2 is the system message member_added (never unread)
  t.match(carolView.json(), { lastSeq: 2, readSeq: 1, unread: 0 }, 'newcomers start caught up')
  const history = await app.inject({ method: 'GET', url: `/api/conversations/${groupId}/messages`, headers: carol!.auth })
  t.same(history.json().messages.map((m: any) => m.type), ['system', 'text'], 'but can read the history')

  // an admin may add too
  await app.prisma.conversationMember.update({ where: { conversationId_userId: { conversationId: groupId, userId: bob!.id } }, data: { role: 'admin' } })
  t.equal((await add(bob, [dave!.id])).statusCode, 200)
  const full = await add(owner, [erin!.id])
  t.equal(full.statusCode, 409)
  t.equal(full.json().error.code, 'CONFLICT')
  await block(app, blocker!, owner!)
  await app.prisma.conversationMember.delete({ where: { conversationId_userId: { conversationId: groupId, userId: dave!.id } } })
  t.equal((await add(owner, [blocker!.id])).json().error.code, 'FORBIDDEN')
  t.equal((await add(owner, [randomUUID()])).json().error.code, 'NOT_FOUND')
  t.equal((await add(owner, [])).json().error.code, 'VALIDATION')
  t.equal((await add(owner, ['x'])).json().error.code, 'VALIDATION')
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: groupId } }), 3)

  const { a, conversationId: directId } = await (async () => {
    const [x, y] = await makeUsers(app, 2)
    await app.prisma.friendship.createMany({ data: [{ userId: x!.id, friendId: y!.id }, { userId: y!.id, friendId: x!.id }] })
    const r = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: x!.auth, payload: { userId: y!.id } })
    return { a: x, conversationId: r.json().id as string }
  })()
  const notGroup = await app.inject({ method: 'POST', url: `/api/groups/${directId}/members`, headers: a!.auth, payload: { userIds: [erin!.id] } })
  t.equal(notGroup.statusCode, 404, 'a direct conversation is not a group')
})

t.test('removing, leaving, ownership hand-over and deleting the empty group', async (t) => {
  const { app, url } = await listen(t)
  const [owner, admin, bob, carol] = await makeUsers(app, 4)
  const groupId = await makeGroup(app, owner!, [admin!, bob!, carol!])
  await app.prisma.conversationMember.update({ where: { conversationId_userId: { conversationId: groupId, userId: admin!.id } }, data: { role: 'admin' } })
  const remove = async (actor: typeof owner, userId: string) => await app.inject({ method: 'DELETE', url: `/api/groups/${groupId}/members/${userId}`, headers: actor!.auth })
  const sc = await connect(t, url, carol!)
  const sb = await connect(t, url, bob!)

  t.equal((await remove(bob, carol!.id)).statusCode, 403, 'members cannot remove others')
  t.equal((await remove(admin, owner!.id)).statusCode, 403, 'nobody removes the owner')
  t.equal((await remove(owner, randomUUID())).statusCode, 404)
  t.equal((await remove(makeUserFor(), carol!.id)).statusCode, 404)
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: groupId } }), 4)

  const removed = await remove(admin, carol!.id.toUpperCase())
  t.equal(removed.statusCode, 200)
  t.same(removed.json().members.map((m: any) => m.id).sort(), [owner!.id, admin!.id, bob!.id].sort())
  t.equal(removed.json().readSeq, 0, 'the admin sees their own view')
  const [toCarol] = await sc.waitFor('conversation:updated')
  t.notOk(toCarol.members.some((m: any) => m.id === carol!.id), 'the removed member is told')
  await sb.waitFor('conversation:updated')
  t.equal((await app.inject({ method: 'GET', url: `/api/conversations/${groupId}`, headers: carol!.auth })).statusCode, 404)

  const left = await remove(bob, bob!.id)
  t.equal(left.statusCode, 200)
  t.notOk(left.json().members.some((m: any) => m.id === bob!.id))
  t.notOk('readSeq' in left.json())

  // the owner leaves: the longest-standing member becomes owner
  const ownerLeft = await remove(owner, owner!.id)
  t.equal(ownerLeft.statusCode, 200)
  t.equal(ownerLeft.json().ownerId, admin!.id)
  t.same(ownerLeft.json().members.map((m: any) => [m.id, m.role]), [[admin!.id, 'owner']])

  const lastOut = await remove(admin, admin!.id)
  t.equal(lastOut.statusCode, 200)
  t.same(lastOut.json().members, [])
  t.equal(await app.prisma.conversation.count({ where: { id: groupId } }), 0, 'an empty group is deleted')

  function makeUserFor () { return { auth: { authorization: `Bearer ${app.signAccessToken(randomUUID())}` } } as any }
})

t.test('GROUP_MAX_MEMBERS holds under concurrent adds', async (t) => {
  const app = await build(t, { GROUP_MAX_MEMBERS: 3 })
  const owner = await makeUser(app)
  const others = await makeUsers(app, 6)
  const groupId = await makeGroup(app, owner, [])
  const results = await Promise.all(others.map((u) => app.inject({ method: 'POST', url: `/api/groups/${groupId}/members`, headers: owner.auth, payload: { userIds: [u.id] } })))
  t.equal(results.filter((r) => r.statusCode === 200).length, 2)
  t.equal(results.filter((r) => r.statusCode === 409).length, 4)
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: groupId } }), 3)
})
