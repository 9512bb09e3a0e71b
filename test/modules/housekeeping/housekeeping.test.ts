/**
 * Housekeeping jobs (src/modules/housekeeping): each task removes what is due and nothing
 * else, and a task with an interval runs by itself through the durable job queue.
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build, ownDatabase, registerUser, type TestUser } from '../../helper.js'
import type { App } from '../../../src/app.js'

// Some apps here run queue workers, others are built before them (helper.ts, ownDatabase).
ownDatabase()

const DAY = 86_400_000
const ago = (ms: number): Date => new Date(Date.now() - ms)

async function groupOf (app: App, owner: TestUser): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'housekeeping', memberIds: [] } })
  if (res.statusCode !== 201) throw new Error(`group: ${res.statusCode} ${res.body}`)
  return res.json().id
}

async function refreshToken (app: App, userId: string, expiresAt: Date): Promise<string> {
  const id = randomUUID()
  await app.prisma.refreshToken.create({ data: { id, userId, familyId: randomUUID(), tokenHash: randomUUID(), expiresAt } })
  return id
}

t.test('each task removes what is due and keeps the rest', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)

  // Refresh tokens: expired ones go, live ones stay.
  const expired = await refreshToken(app, owner.id, ago(1000))
  const live = await refreshToken(app, owner.id, new Date(Date.now() + DAY))
  // Invites: expired or revoked longer than INVITE_KEEP_DAYS (7) ago go.
  const conversationId = await groupOf(app, owner)
  const invite = async (data: { expiresAt?: Date, revokedAt?: Date }): Promise<string> => {
    const id = randomUUID()
    await app.prisma.groupInvite.create({ data: { id, conversationId, codeHash: randomUUID(), createdBy: owner.id, ...data } })
    return id
  }
  const oldExpired = await invite({ expiresAt: ago(10 * DAY) })
  const oldRevoked = await invite({ revokedAt: ago(8 * DAY) })
  const recentExpired = await invite({ expiresAt: ago(DAY) })
  const open = await invite({})
  t.ok(await app.housekeeping.run('tokens') >= 3)
  const tokens = (await app.prisma.refreshToken.findMany({ where: { id: { in: [expired, live] } } })).map((r) => r.id)
  t.same(tokens, [live], 'the expired refresh token is gone, the live one stays')
  const invites = (await app.prisma.groupInvite.findMany({ where: { conversationId } })).map((r) => r.id).sort()
  t.same(invites, [recentExpired, open].sort(), 'old expired and revoked invites go; recent and open ones stay')
  t.notOk(invites.includes(oldExpired) || invites.includes(oldRevoked))

  // The webhook delivery log: entries older than WEBHOOK_LOG_KEEP_DAYS (14) go.
  const bot = await app.inject({ method: 'POST', url: '/api/bots', headers: owner.auth, payload: { username: `hkbot${Math.floor(Math.random() * 1e9)}`, displayName: 'hk' } })
  t.equal(bot.statusCode, 201, bot.body)
  const botId = bot.json().bot?.id ?? bot.json().id
  const delivery = async (createdAt: Date): Promise<string> => {
    const id = randomUUID()
    await app.prisma.webhookDelivery.create({ data: { id, botId, conversationId, messageId: randomUUID(), seq: 1, attempt: 1, status: 'delivered', createdAt } })
    return id
  }
  const oldDelivery = await delivery(ago(15 * DAY))
  const newDelivery = await delivery(ago(DAY))
  t.ok(await app.housekeeping.run('webhook-log') >= 1)
  t.same((await app.prisma.webhookDelivery.findMany({ where: { id: { in: [oldDelivery, newDelivery] } } })).map((r) => r.id), [newDelivery], 'only the old log entry is gone')

  // The app-event delivery log, kept as long as the webhooks' log.
  const appDelivery = async (days: number): Promise<string> => {
    const id = randomUUID()
    await app.sql.query("INSERT INTO app_event_deliveries (id, event_id, stream, type, attempt, status, created_at) VALUES ($1::uuid, 1, 'user:x', 'user.created', 1, 'delivered', now() - make_interval(days => $2::int))", [id, days])
    return id
  }
  const oldAppDelivery = await appDelivery(15)
  const newAppDelivery = await appDelivery(1)
  t.ok(await app.housekeeping.run('webhook-log') >= 1)
  t.same((await app.sql.query<{ id: string }>('SELECT id FROM app_event_deliveries WHERE id = ANY($1::uuid[])', [[oldAppDelivery, newAppDelivery]])).map((r) => r.id), [newAppDelivery], 'only the old app-event log entry is gone')

  // The job queue's archive: entries archived longer than JOBS_ARCHIVE_KEEP_DAYS (7) ago go.
  const jobId = await app.jobs.boss.send('housekeeping', { task: 'none' })
  t.ok(jobId)
  await app.jobsDb.executeSql('INSERT INTO pgboss.archive SELECT j.*, now() - interval \'8 days\' FROM pgboss.job j WHERE j.id = $1', [jobId])
  await app.jobsDb.executeSql('DELETE FROM pgboss.job WHERE id = $1', [jobId])
  t.ok(await app.housekeeping.run('job-archive') >= 1)
  t.equal((await app.jobsDb.executeSql('SELECT 1 FROM pgboss.archive WHERE id = $1', [jobId])).rows.length, 0, 'the old archived job is gone')
})

t.test('uploads: an old file nothing references goes (row and file); referenced and recent ones stay', async (t) => {
  const app = await build(t, { UPLOAD_ORPHAN_AFTER_S: 3600 })
  const owner = await registerUser(app)
  const conversationId = await groupOf(app, owner)
  const upload = async (createdAt: Date, mime = 'text/plain'): Promise<{ id: string, path: string }> => {
    const id = randomUUID()
    const storageKey = `hk-${id}`
    const path = join(app.config.UPLOAD_DIR, storageKey)
    mkdirSync(app.config.UPLOAD_DIR, { recursive: true })
    writeFileSync(path, 'x')
    await app.prisma.upload.create({ data: { id, uploaderId: owner.id, name: 'f', mime, size: 1, storageKey, createdAt } })
    return { id, path }
  }
  const orphan = await upload(ago(2 * 3600_000))
  const recent = await upload(ago(60_000))
  const inMessage = await upload(ago(2 * 3600_000))
  const asAvatar = await upload(ago(2 * 3600_000), 'image/png')
  const sent = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: owner.auth, payload: { clientMsgId: randomUUID(), type: 'file', content: { url: `/api/uploads/${inMessage.id}`, name: 'f.txt', size: 1, mime: 'text/plain' } } })
  t.equal(sent.statusCode, 201, sent.body)
  const avatar = await app.inject({ method: 'PATCH', url: `/api/groups/${conversationId}`, headers: owner.auth, payload: { avatarUrl: `/api/uploads/${asAvatar.id}` } })
  t.equal(avatar.statusCode, 200, avatar.body)

  // A link preview's image is an upload too: shown by a message, or held by the preview cache.
  const inPreview = await upload(ago(2 * 3600_000), 'image/png')
  const inCache = await upload(ago(2 * 3600_000), 'image/png')
  const withLink = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: owner.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'no fetch for this one', linkPreview: false } })
  t.equal(withLink.statusCode, 201, withLink.body)
  await app.prisma.message.update({ where: { id: withLink.json().id }, data: { linkPreview: { url: 'https://example.com/', title: 't', image: `/api/uploads/${inPreview.id}` } } })
  await app.prisma.linkPreviewCache.create({ data: { url: 'https://example.org/', preview: { url: 'https://example.org/', title: 't', image: `/api/uploads/${inCache.id}` }, expiresAt: new Date(Date.now() + 3600_000) } })

  t.ok(await app.housekeeping.run('uploads') >= 1)
  const kept = [recent, inMessage, asAvatar, inPreview, inCache]
  const left = new Set((await app.prisma.upload.findMany({ where: { id: { in: [orphan.id, ...kept.map((u) => u.id)] } } })).map((u) => u.id))
  t.same([...left].sort(), kept.map((u) => u.id).sort(), 'only the old unreferenced upload is gone')
  t.notOk(existsSync(orphan.path), 'its file too')
  t.ok(kept.every((u) => existsSync(u.path)), 'the others keep their files')
})

t.test('a task with an interval runs by itself through the job queue', async (t) => {
  // This app works the queue (the helper's apps do not: they share one store per file).
  const app = await build(t, { HOUSEKEEPING_TOKENS_INTERVAL_S: 1, JOBS_WORKER: true })
  const owner = await registerUser(app)
  const expired = await refreshToken(app, owner.id, ago(1000))
  const end = Date.now() + 60_000
  while (await app.prisma.refreshToken.findUnique({ where: { id: expired } }) !== null) {
    if (Date.now() > end) throw new Error('the scheduled run did not remove the expired token within 60 s')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  t.pass('the expired refresh token was removed by the scheduled job')
})

t.test('VACUUM (ANALYZE) runs on the embedded store and is left to autovacuum on PostgreSQL', async (t) => {
  const app = await build(t)
  const redo = async (): Promise<string> => (await app.sql.query<{ redo_lsn: string }>('SELECT redo_lsn::text FROM pg_control_checkpoint()', []))[0]?.redo_lsn ?? ''
  const before = await redo()
  await app.sql.query('CREATE TEMP TABLE IF NOT EXISTS wal_filler AS SELECT 1 AS x', [])
  t.equal(await app.housekeeping.run('vacuum'), 0)
  t.equal(app.dbKind === 'pglite' ? 'pglite' : 'postgres', app.dbKind)
  // PGlite has no checkpointer: the task checkpoints, so the write-ahead log is recycled (not on PostgreSQL: the task does not apply there).
  if (app.dbKind === 'pglite') t.not(await redo(), before, 'a checkpoint moved the redo point')
})
