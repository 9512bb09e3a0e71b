/**
 * Retention (src/modules/housekeeping/retention.ts; docs/protocol.md, "Retention"): the purge
 * job removes messages older than their conversation's policy, with what only they needed, and
 * history, sync and the conversation say where history starts. The clock is faked by moving
 * messages' `created_at` back (the purge compares with the database's now()).
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { befriend, build, listen, registerUser, type TestUser } from '../../helper.js'
import { connect } from '../../socket-client.js'
import type { App } from '../../../src/app.js'

async function groupOf (app: App, owner: TestUser, members: TestUser[] = []): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'retention', memberIds: members.map((m) => m.id) } })
  if (res.statusCode !== 201) throw new Error(`group: ${res.statusCode} ${res.body}`)
  return res.json().id
}

async function send (app: App, user: TestUser, conversationId: string, payload: Record<string, unknown> = {}): Promise<{ id: string, seq: number }> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: user.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'hello', linkPreview: false, ...payload } })
  if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** The fake clock: messages up to `seq` were sent `days` days ago. */
async function age (app: App, conversationId: string, seq: number, days: number): Promise<void> {
  await app.sql.query(`UPDATE messages SET created_at = now() - make_interval(days => $3::int) WHERE conversation_id = $1::uuid AND seq <= $2::int`, [conversationId, seq, days])
}

const setRetention = async (app: App, user: TestUser, id: string, days: unknown) =>
  await app.inject({ method: 'PUT', url: `/api/groups/${id}/retention`, headers: user.auth, payload: { days } })

const seqsOf = async (app: App, id: string): Promise<number[]> =>
  (await app.prisma.message.findMany({ where: { conversationId: id }, select: { seq: true }, orderBy: { seq: 'asc' } })).map((m) => m.seq)

t.test('a group\'s policy: old messages go with their reactions, pins, reports, pushes and only-theirs uploads; history says where it starts', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const bob = await registerUser(app)
  const g = await groupOf(app, owner, [bob])
  const upload = async (): Promise<{ id: string, path: string }> => {
    const id = randomUUID()
    const storageKey = `ret-${id}`
    const path = join(app.config.UPLOAD_DIR, storageKey)
    mkdirSync(app.config.UPLOAD_DIR, { recursive: true })
    writeFileSync(path, 'x')
    await app.prisma.upload.create({ data: { id, uploaderId: owner.id, name: 'f.txt', mime: 'text/plain', size: 1, storageKey } })
    return { id, path }
  }
  const file = (u: { id: string }) => ({ type: 'file', content: { url: `/api/uploads/${u.id}`, name: 'f.txt', size: 1, mime: 'text/plain' } })
  const onlyOld = await upload()
  const shared = await upload()
  const inCache = await upload()

  const old1 = await send(app, owner, g, file(onlyOld)) // seq 1
  const old2 = await send(app, bob, g, file(shared)) // seq 2
  const old3 = await send(app, owner, g, { content: 'a link' }) // seq 3
  await app.prisma.message.update({ where: { id: old3.id }, data: { linkPreview: { url: 'https://example.org/', title: 't', image: `/api/uploads/${inCache.id}` } } })
  await app.prisma.linkPreviewCache.create({ data: { url: `https://example.org/${randomUUID()}`, preview: { url: 'https://example.org/', title: 't', image: `/api/uploads/${inCache.id}` }, expiresAt: new Date(Date.now() + 3600_000) } })
  t.equal((await app.inject({ method: 'PUT', url: `/api/conversations/${g}/messages/${old1.id}/reactions/${encodeURIComponent('👍')}`, headers: bob.auth })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${g}/pins`, headers: owner.auth, payload: { messageId: old2.id } })).statusCode, 200)
  const report = await app.inject({ method: 'POST', url: '/api/reports', headers: owner.auth, payload: { messageId: old2.id, reason: 'spam' } })
  t.ok(report.statusCode < 300, report.body)
  await app.prisma.pushOutbox.create({ data: { messageId: old1.id } }).catch(() => {})
  await age(app, g, 10, 10) // everything so far (the pin's system message too) is 10 days old
  const keptFromHere = await send(app, owner, g, file(shared))

  const set = await setRetention(app, owner, g, 7)
  t.equal(set.statusCode, 200, set.body)
  t.equal(set.json().retentionDays, 7)
  t.equal(set.json().historyStartsAt, 0, 'nothing purged yet')

  const removed = await app.housekeeping.run('retention')
  t.equal(removed, keptFromHere.seq - 1, 'every message before the first recent one went')
  t.same(await seqsOf(app, g), [keptFromHere.seq, keptFromHere.seq + 1], 'the rest keep their seqs: no renumbering, no gap')
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: old1.id } }), 0, 'reactions went with their message')
  t.equal(await app.prisma.report.count({ where: { messageId: old2.id } }), 0, 'reports on purged messages go (ON DELETE CASCADE)')
  t.equal(await app.prisma.pushOutbox.count({ where: { messageId: old1.id } }), 0, 'queued push of a purged message went')
  t.notOk(existsSync(onlyOld.path), 'an upload only purged messages named is gone (file)')
  t.equal(await app.prisma.upload.count({ where: { id: onlyOld.id } }), 0, '(and row)')
  t.ok(existsSync(shared.path) && await app.prisma.upload.count({ where: { id: shared.id } }) === 1, 'an upload a kept message names stays')
  t.ok(existsSync(inCache.path) && await app.prisma.upload.count({ where: { id: inCache.id } }) === 1, 'an image the link-preview cache holds stays')

  const history = await app.inject({ method: 'GET', url: `/api/conversations/${g}/messages`, headers: bob.auth })
  t.equal(history.statusCode, 200)
  t.equal(history.json().historyStartsAt, keptFromHere.seq, 'history says where it starts')
  t.same(history.json().messages.map((m: { seq: number }) => m.seq).sort((a: number, b: number) => a - b), [keptFromHere.seq, keptFromHere.seq + 1])
  // A page reads the start in its own statement, an empty page separately: every path says it.
  const page = async (query: string) => (await app.inject({ method: 'GET', url: `/api/conversations/${g}/messages?${query}`, headers: bob.auth })).json()
  const empty = await page(`before=${keptFromHere.seq}`)
  t.same({ messages: empty.messages, start: empty.historyStartsAt }, { messages: [], start: keptFromHere.seq }, 'an empty page below the start says where it is')
  const forward = await page('after=0&limit=1')
  t.same({ seqs: forward.messages.map((m: { seq: number }) => m.seq), start: forward.historyStartsAt, hasMore: forward.hasMore }, { seqs: [keptFromHere.seq], start: keptFromHere.seq, hasMore: true }, 'so does an `after` page')
  const outsider = await registerUser(app)
  t.equal((await app.inject({ method: 'GET', url: `/api/conversations/${g}/messages`, headers: outsider.auth })).statusCode, 404, 'a group stays closed to a non-member')
  const pins = await app.inject({ method: 'GET', url: `/api/conversations/${g}/pins`, headers: bob.auth })
  t.same(pins.json(), [], 'a pinned message is purged like any other (documented)')
  const view = await app.inject({ method: 'GET', url: `/api/conversations/${g}`, headers: bob.auth })
  t.equal(view.json().historyStartsAt, keptFromHere.seq, 'so does the conversation')
  t.equal(view.json().retentionDays, 7, 'members see the policy')
  const system = (await app.inject({ method: 'GET', url: `/api/conversations/${g}/messages?limit=1`, headers: bob.auth })).json().messages[0]
  t.same({ type: system.type, event: system.content.event, days: system.content.days }, { type: 'system', event: 'retention_changed', days: 7 }, 'a system message announces the change')

  t.equal(await app.housekeeping.run('retention'), 0, 'a second run finds nothing')
  const again = await send(app, bob, g)
  t.equal(again.seq, keptFromHere.seq + 2, 'new messages continue the seqs')
})

t.test('a device syncing from a cursor before the start is told where history starts', async (t) => {
  const { app, url } = await listen(t)
  const owner = await registerUser(app)
  const bob = await registerUser(app)
  const g = await groupOf(app, owner, [bob])
  for (let i = 0; i < 5; i++) await send(app, owner, g)
  t.equal((await setRetention(app, owner, g, 3)).statusCode, 200) // seq 6: the system message
  await age(app, g, 4, 5)
  t.equal(await app.housekeeping.run('retention'), 4)
  const socket = await connect(t, url, bob)
  const synced = await socket.call('sync', { cursors: { [g]: 2 }, revs: { [g]: 0 } })
  t.same(synced.data.messages.map((m: { seq: number }) => m.seq), [5, 6], 'messages from where history starts')
  t.same(synced.data.historyStartsAt, { [g]: 5 }, 'and where that is: 3 and 4 were removed, not missed')
  const fresh = await socket.call('sync', { cursors: { [g]: 6 } })
  t.same(fresh.data.historyStartsAt, { [g]: 5 }, 'said on every sync of the conversation')
  await socket.close()
})

t.test('thread roots older than the policy go; their newer replies stay (documented)', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const g = await groupOf(app, owner)
  const root = await send(app, owner, g)
  await send(app, owner, g)
  await age(app, g, 2, 30)
  const reply = await send(app, owner, g, { threadRootId: root.id })
  t.equal((await setRetention(app, owner, g, 10)).statusCode, 200)
  t.equal(await app.housekeeping.run('retention'), 2)
  const left = await app.prisma.message.findUnique({ where: { id: reply.id }, select: { threadRootId: true, seq: true } })
  t.same(left, { threadRootId: root.id, seq: reply.seq }, 'the reply stays, still naming its root')
  t.equal(await app.prisma.threadSummary.count({ where: { rootId: root.id } }), 0, 'the root\'s summary went with it')
})

t.test('the server default (RETENTION_DAYS) applies where a conversation has no policy of its own; null returns to it', async (t) => {
  const app = await build(t, { RETENTION_DAYS: 2 })
  const owner = await registerUser(app)
  const bob = await registerUser(app)
  const g = await groupOf(app, owner)
  await befriend(app, owner, bob)
  const direct = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: owner.auth, payload: { userId: bob.id } })
  t.ok(direct.statusCode < 300, direct.body)
  const d = direct.json().id as string
  const kept = await groupOf(app, owner)
  for (const id of [g, kept, d]) {
    await send(app, owner, id)
    await send(app, owner, id)
    await age(app, id, 1, 3)
  }
  t.equal((await setRetention(app, owner, kept, 5)).statusCode, 200, 'a longer policy of its own')
  await app.housekeeping.run('retention')
  t.same(await seqsOf(app, g), [2], 'the default purged the group')
  t.same(await seqsOf(app, d), [2], 'and the direct conversation')
  t.same(await seqsOf(app, kept), [1, 2, 3], 'its own policy kept the other')
  const back = await setRetention(app, owner, kept, null)
  t.equal(back.statusCode, 200, back.body)
  t.equal(back.json().retentionDays, null)
  await app.housekeeping.run('retention')
  t.same(await seqsOf(app, kept), [2, 3, 4], 'back on the default, its old message went')
})

t.test('a message sent while the purge runs is kept; seqs stay gap-free', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const g = await groupOf(app, owner)
  // 1,200 old messages (several batches), written straight into the store.
  await app.sql.query(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, type, content, created_at)
    SELECT gen_random_uuid(), $1::uuid, s, $2::uuid, 'old-' || s || '-' || $1::text, 'text', to_jsonb('old ' || s), now() - interval '30 days'
    FROM generate_series(1, 1200) s`, [g, owner.id])
  await app.sql.query('UPDATE conversations SET last_seq = 1200, last_rev = 1200 WHERE id = $1::uuid', [g])
  t.equal((await setRetention(app, owner, g, 1)).statusCode, 200) // seq 1201
  const purge = app.housekeeping.run('retention')
  const sent = await Promise.all(Array.from({ length: 20 }, async () => await send(app, owner, g)))
  t.equal(await purge, 1200, 'every old message went')
  const seqs = await seqsOf(app, g)
  t.same(seqs, Array.from({ length: 21 }, (_, i) => 1201 + i), 'the system message and every send meanwhile are there, gap-free')
  t.same(sent.map((m) => m.seq).sort((a, b) => a - b), seqs.slice(1))
})

t.test('who may set it, and bad values: clear error, nothing changed', async (t) => {
  const app = await build(t, { RETENTION_MIN_DAYS: 2, RETENTION_MAX_DAYS: 400 })
  const owner = await registerUser(app)
  const admin = await registerUser(app)
  const member = await registerUser(app)
  const outsider = await registerUser(app)
  const g = await groupOf(app, owner, [admin, member])
  t.equal((await app.inject({ method: 'PUT', url: `/api/groups/${g}/members/${admin.id}/role`, headers: owner.auth, payload: { role: 'admin' } })).statusCode, 200)
  t.equal((await setRetention(app, admin, g, 30)).statusCode, 200, 'an admin may')
  const refused = async (user: TestUser, days: unknown, status: number, code: string, what: string): Promise<void> => {
    const res = await setRetention(app, user, g, days)
    t.equal(res.statusCode, status, `${what}: ${res.body}`)
    t.equal(res.json().error?.code, code, what)
  }
  await refused(member, 10, 403, 'FORBIDDEN', 'a member')
  await refused(outsider, 10, 404, 'NOT_FOUND', 'an outsider')
  await refused(owner, 1, 400, 'VALIDATION', 'below RETENTION_MIN_DAYS')
  await refused(owner, 401, 400, 'VALIDATION', 'above RETENTION_MAX_DAYS')
  await refused(owner, 0, 400, 'VALIDATION', 'zero')
  await refused(owner, -5, 400, 'VALIDATION', 'negative')
  await refused(owner, 2.5, 400, 'VALIDATION', 'a fraction')
  await refused(owner, 1e300, 400, 'VALIDATION', 'a huge number')
  await refused(owner, '30\u0000', 400, 'VALIDATION', 'NUL in a string')
  await refused(owner, '30', 400, 'VALIDATION', 'a string')
  t.equal((await app.inject({ method: 'PUT', url: `/api/groups/${g}/members/${admin.id}/role`, headers: owner.auth, payload: { role: 'member' } })).statusCode, 200)
  await refused(admin, 10, 403, 'FORBIDDEN', 'a demoted admin')
  await befriend(app, owner, member)
  const direct = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: owner.auth, payload: { userId: member.id } })
  t.ok(direct.statusCode < 300, direct.body)
  const res = await setRetention(app, owner, direct.json().id, 10)
  t.equal(res.statusCode, 404, 'a direct conversation has no owner to set it: NOT_FOUND')
  const row = await app.prisma.conversation.findUniqueOrThrow({ where: { id: g }, select: { retentionDays: true } })
  t.equal(row.retentionDays, 30, 'nothing changed')
})
