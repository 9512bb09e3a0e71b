import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { multipart, SAMPLES } from '../uploads/helpers.js'
import { GROUP_PERMISSIONS, can, mayRemove } from '../../../src/modules/conversations/index.js'
import { connect, directPair, makeGroup, makeUsers, type User } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

type App = Awaited<ReturnType<typeof listen>>['app']

const req = async (app: App, method: string, path: string, user: User, payload?: unknown) =>
  await app.inject({ method: method as 'POST', url: `/api${path}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })

async function upload (app: App, user: User, type: 'png' | 'text'): Promise<string> {
  const file = multipart([{ filename: type === 'png' ? 'a.png' : 'a.txt', type: type === 'png' ? 'image/png' : 'text/plain', data: SAMPLES[type] }])
  const res = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...user.auth, ...file.headers }, payload: file.payload })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json().url
}

/** owner O, admin A, members M and N; S a stranger. */
async function world (app: App) {
  const [O, A, M, N, S] = await makeUsers(app, 5) as [User, User, User, User, User]
  const g = await makeGroup(app, O, [A, M, N])
  const res = await req(app, 'PUT', `/groups/${g}/members/${A.id}/role`, O, { role: 'admin' })
  if (res.statusCode !== 200) throw new Error(res.body)
  return { O, A, M, N, S, g }
}

t.test('the permissions table', async (t) => {
  t.same(GROUP_PERMISSIONS.setRole, ['owner'])
  t.same(GROUP_PERMISSIONS.transferOwnership, ['owner'])
  t.ok(can('admin', 'editProfile') && can('owner', 'editProfile') && !can('member', 'editProfile'))
  t.ok(can('admin', 'manageInvites') && !can('member', 'manageInvites'))
  t.same([mayRemove('owner', 'admin'), mayRemove('owner', 'member'), mayRemove('admin', 'member'), mayRemove('admin', 'admin'), mayRemove('admin', 'owner'), mayRemove('member', 'member')],
    [true, true, true, false, false, false])
})

t.test('PATCH /groups/:id: owner and admins change name, topic, avatar; members are told', async (t) => {
  const { app, url } = await listen(t)
  const { O, A, M, g } = await world(app)
  const sm = await connect(t, url, M)
  const res = await req(app, 'PATCH', `/groups/${g}`, A, { name: '  Renamed  ', topic: 'What we do' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { name: 'Renamed', topic: 'What we do', avatarUrl: null })
  const [updated] = await sm.waitFor('conversation:updated')
  t.match(updated, { id: g, name: 'Renamed', topic: 'What we do' })
  const avatar = await upload(app, O, 'png')
  t.equal((await req(app, 'PATCH', `/groups/${g}`, O, { avatarUrl: avatar })).json().avatarUrl, avatar)
  t.equal((await req(app, 'GET', `/uploads/${avatar.split('/').pop()}`, M)).statusCode, 200, 'members can fetch the group avatar')
  t.match((await req(app, 'PATCH', `/groups/${g}`, O, { topic: null, avatarUrl: null })).json(), { topic: null, avatarUrl: null }, 'null clears')
  const count = await app.prisma.message.count({ where: { conversationId: g } })
  t.equal((await req(app, 'PATCH', `/groups/${g}`, O, { name: 'Renamed' })).statusCode, 200, 'no change')
  t.equal(await app.prisma.message.count({ where: { conversationId: g } }), count, 'no change, no system message')
})

t.test('PATCH /groups/:id refusals: roles, names, topics, avatars; nothing written', async (t) => {
  const { app } = await listen(t)
  const { O, A, M, S, g } = await world(app)
  await refused(t, app, 'FORBIDDEN', 'a member renaming', async () => await req(app, 'PATCH', `/groups/${g}`, M, { name: 'mine now' }))
  await refused(t, app, 'NOT_FOUND', 'a stranger renaming', async () => await req(app, 'PATCH', `/groups/${g}`, S, { name: 'x' }))
  await refused(t, app, 'NOT_FOUND', 'an unknown group', async () => await req(app, 'PATCH', `/groups/${randomUUID()}`, O, { name: 'x' }))
  const { a, conversationId: direct } = await directPair(app)
  await refused(t, app, 'NOT_FOUND', 'a direct conversation is not a group', async () => await req(app, 'PATCH', `/groups/${direct}`, a, { name: 'x' }))
  const bad: Array<[string, unknown]> = [
    ['empty name', { name: '' }], ['blank name', { name: '   ' }], ['long name', { name: 'x'.repeat(65) }],
    ['name with a newline', { name: 'a\nb' }], ['name with a control character', { name: 'a\u0007b' }], ['name with NUL', { name: 'a\u0000b' }],
    ['empty topic', { topic: '' }], ['long topic', { topic: 'x'.repeat(257) }], ['topic with a control character', { topic: 'a\u001bb' }],
    ['nothing to change', {}], ['unknown field', { name: 'x', owner: O.id }], ['name not a string', { name: 5 }],
    ['foreign avatar', { avatarUrl: 'https://evil.example/a.png' }], ['avatar not an upload', { avatarUrl: '/api/uploads/nope' }],
    ['unknown upload', { avatarUrl: `/api/uploads/${randomUUID()}` }]
  ]
  for (const [label, body] of bad) await refused(t, app, 'VALIDATION', label, async () => await req(app, 'PATCH', `/groups/${g}`, A, body))
  const text = await upload(app, A, 'text')
  await refused(t, app, 'VALIDATION', 'an upload that is not an image', async () => await req(app, 'PATCH', `/groups/${g}`, A, { avatarUrl: text }))
  const others = await upload(app, O, 'png')
  await refused(t, app, 'VALIDATION', 'someone else\'s upload', async () => await req(app, 'PATCH', `/groups/${g}`, A, { avatarUrl: others }))
  t.equal((await req(app, 'PATCH', `/groups/${g}`, O, { name: 'x'.repeat(64) })).statusCode, 200, '64 characters fit')
  t.equal((await req(app, 'PATCH', `/groups/${g}`, O, { name: '😀'.repeat(64) })).statusCode, 200, 'counted in characters, not UTF-16 units')
  await refused(t, app, 'VALIDATION', 'creating a group with a control character in its name', async () => await req(app, 'POST', '/groups', O, { name: 'a\tb', memberIds: [] }))
})

t.test('roles: the owner promotes and demotes; every other attempt is refused and writes nothing', async (t) => {
  const { app, url } = await listen(t)
  const { O, A, M, N, S, g } = await world(app)
  const sn = await connect(t, url, N)
  const promoted = await req(app, 'PUT', `/groups/${g}/members/${M.id}/role`, O, { role: 'admin' })
  t.equal(promoted.statusCode, 200)
  t.equal(promoted.json().members.find((m: any) => m.id === M.id).role, 'admin')
  t.match((await sn.waitFor('conversation:updated'))[0].members.find((m: any) => m.id === M.id), { role: 'admin' })
  t.equal((await req(app, 'PUT', `/groups/${g}/members/${M.id}/role`, O, { role: 'admin' })).statusCode, 200, 'the same role again: a no-op')
  t.equal((await req(app, 'PUT', `/groups/${g}/members/${M.id}/role`, O, { role: 'member' })).json().members.find((m: any) => m.id === M.id).role, 'member', 'demoted')

  await refused(t, app, 'FORBIDDEN', 'an admin promoting', async () => await req(app, 'PUT', `/groups/${g}/members/${M.id}/role`, A, { role: 'admin' }))
  await refused(t, app, 'FORBIDDEN', 'an admin demoting another admin', async () => await req(app, 'PUT', `/groups/${g}/members/${A.id}/role`, A, { role: 'member' }))
  await refused(t, app, 'FORBIDDEN', 'a member promoting themselves', async () => await req(app, 'PUT', `/groups/${g}/members/${M.id}/role`, M, { role: 'admin' }))
  await refused(t, app, 'NOT_FOUND', 'promoting a non-member', async () => await req(app, 'PUT', `/groups/${g}/members/${S.id}/role`, O, { role: 'admin' }))
  await refused(t, app, 'NOT_FOUND', 'a stranger promoting', async () => await req(app, 'PUT', `/groups/${g}/members/${M.id}/role`, S, { role: 'admin' }))
  await refused(t, app, 'VALIDATION', 'role owner (use transfer)', async () => await req(app, 'PUT', `/groups/${g}/members/${M.id}/role`, O, { role: 'owner' }))
  await refused(t, app, 'VALIDATION', 'demoting the owner', async () => await req(app, 'PUT', `/groups/${g}/members/${O.id}/role`, O, { role: 'admin' }))
  await refused(t, app, 'VALIDATION', 'an unknown role', async () => await req(app, 'PUT', `/groups/${g}/members/${M.id}/role`, O, { role: 'king' }))
  await refused(t, app, 'VALIDATION', 'a bad user id', async () => await req(app, 'PUT', `/groups/${g}/members/nope/role`, O, { role: 'admin' }))

  // removal rules
  await refused(t, app, 'FORBIDDEN', 'removing the owner (admin)', async () => await req(app, 'DELETE', `/groups/${g}/members/${O.id}`, A))
  await refused(t, app, 'FORBIDDEN', 'a member removing a member', async () => await req(app, 'DELETE', `/groups/${g}/members/${N.id}`, M))
  await req(app, 'PUT', `/groups/${g}/members/${M.id}/role`, O, { role: 'admin' })
  await refused(t, app, 'FORBIDDEN', 'an admin removing an admin', async () => await req(app, 'DELETE', `/groups/${g}/members/${M.id}`, A))
  t.equal((await req(app, 'DELETE', `/groups/${g}/members/${N.id}`, A)).statusCode, 200, 'an admin removes a member')
})

t.test('transfer: the owner hands over and becomes admin; others cannot', async (t) => {
  const { app } = await listen(t)
  const { O, A, M, S, g } = await world(app)
  await refused(t, app, 'FORBIDDEN', 'an admin transferring', async () => await req(app, 'POST', `/groups/${g}/transfer`, A, { userId: A.id }))
  await refused(t, app, 'FORBIDDEN', 'a member transferring', async () => await req(app, 'POST', `/groups/${g}/transfer`, M, { userId: M.id }))
  await refused(t, app, 'NOT_FOUND', 'to a non-member', async () => await req(app, 'POST', `/groups/${g}/transfer`, O, { userId: S.id }))
  await refused(t, app, 'NOT_FOUND', 'by a stranger', async () => await req(app, 'POST', `/groups/${g}/transfer`, S, { userId: S.id }))
  await refused(t, app, 'VALIDATION', 'to themselves', async () => await req(app, 'POST', `/groups/${g}/transfer`, O, { userId: O.id }))
  await refused(t, app, 'VALIDATION', 'no body', async () => await req(app, 'POST', `/groups/${g}/transfer`, O, {}))
  const res = await req(app, 'POST', `/groups/${g}/transfer`, O, { userId: M.id })
  t.equal(res.statusCode, 200)
  t.equal(res.json().ownerId, M.id)
  t.same(Object.fromEntries(res.json().members.map((m: any) => [m.id, m.role])), { [O.id]: 'admin', [A.id]: 'admin', [M.id]: 'owner', [res.json().members.find((m: any) => ![O.id, A.id, M.id].includes(m.id)).id]: 'member' })
  t.equal((await req(app, 'PUT', `/groups/${g}/members/${A.id}/role`, O, { role: 'member' })).statusCode, 403, 'the old owner lost the owner\'s rights')
  t.equal((await req(app, 'PUT', `/groups/${g}/members/${A.id}/role`, M, { role: 'member' })).statusCode, 200, 'the new owner has them')
})
