import t from 'tap'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { App } from '../../../src/app.js'
import { befriend, build, registerUser, type TestUser } from '../../helper.js'
import { multipart, SAMPLES } from './helpers.js'

async function upload (app: App, user: TestUser, data = SAMPLES.png, type = 'image/png', filename = 'pic.png'): Promise<{ url: string, name: string, size: number, mime: string }> {
  const { payload, headers } = multipart([{ filename, type, data }])
  const res = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...headers, ...user.auth }, payload })
  if (res.statusCode !== 201) throw new Error(`upload failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

async function direct (app: App, a: TestUser, b: TestUser): Promise<string> {
  await befriend(app, a, b)
  const res = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a.auth, payload: { userId: b.id } })
  return res.json().id
}

async function send (app: App, from: TestUser, conversationId: string, type: string, content: unknown): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: from.auth, payload: { clientMsgId: randomUUID(), type, content } })
  if (res.statusCode !== 201) throw new Error(`send failed: ${res.statusCode} ${res.body}`)
}

const get = async (app: App, url: string, headers: Record<string, string> = {}) => await app.inject({ method: 'GET', url, headers })

t.test('the uploader gets the file back with its type and safe headers', async (t) => {
  const app = await build(t)
  const a = await registerUser(app)
  const file = await upload(app, a)
  const res = await get(app, file.url, a.auth)
  t.equal(res.statusCode, 200)
  t.same(res.rawPayload, SAMPLES.png)
  t.equal(res.headers['content-type'], 'image/png')
  t.equal(res.headers['content-length'], String(SAMPLES.png.length))
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.match(res.headers['content-disposition'], /^inline; filename\*=UTF-8''pic\.png$/)
  t.match(res.headers['content-security-policy'], /sandbox/)

  const zip = await upload(app, a, SAMPLES.zip, 'application/zip', 'archive one.zip')
  const dl = await get(app, zip.url, a.auth)
  t.equal(dl.statusCode, 200)
  t.equal(dl.headers['content-disposition'], "attachment; filename*=UTF-8''archive%20one.zip", 'non-media files download')
})

t.test('members of a conversation where the uploader sent the file may read it; nobody else, and unknown ids are 404', async (t) => {
  const app = await build(t)
  const a = await registerUser(app)
  const b = await registerUser(app)
  const c = await registerUser(app)
  const file = await upload(app, a)
  const conversationId = await direct(app, a, b)

  const notYet = await get(app, file.url, b.auth)
  t.equal(notYet.statusCode, 404, 'not shared yet')
  t.equal(notYet.json().error.code, 'NOT_FOUND')

  await send(app, a, conversationId, 'image', file)
  t.equal((await get(app, file.url, b.auth)).statusCode, 200, 'shared with b')
  const stranger = await get(app, file.url, c.auth)
  t.equal(stranger.statusCode, 404, 'c is in no conversation with it')
  t.equal(stranger.json().error.code, 'NOT_FOUND')

  // b re-posting a's url to c does not open a's file to c: only the uploader's sends count
  const bc = await direct(app, b, c)
  await send(app, b, bc, 'file', file)
  t.equal((await get(app, file.url, c.auth)).statusCode, 404)

  t.equal((await get(app, `/api/uploads/${randomUUID()}`, a.auth)).statusCode, 404)
  const bad = await get(app, '/api/uploads/not-a-uuid', a.auth)
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'VALIDATION')
})

t.test('a forward of the uploader\'s message opens the file to the members of the conversation it is forwarded into; a forward of someone else\'s copy does not', async (t) => {
  const app = await build(t)
  const [a, b, c, d] = [await registerUser(app), await registerUser(app), await registerUser(app), await registerUser(app)]
  const file = await upload(app, a)
  const ab = await direct(app, a, b)
  const bc = await direct(app, b, c)
  const sendRes = await app.inject({ method: 'POST', url: `/api/conversations/${ab}/messages`, headers: a.auth, payload: { clientMsgId: randomUUID(), type: 'image', content: file } })
  t.equal(sendRes.statusCode, 201)
  t.equal((await get(app, file.url, c.auth)).statusCode, 404, 'c cannot read it before the forward')
  const fwd = await app.inject({ method: 'POST', url: `/api/conversations/${bc}/messages`, headers: b.auth, payload: { clientMsgId: randomUUID(), forwardOf: sendRes.json().id } })
  t.equal(fwd.statusCode, 201, fwd.body)
  t.same(fwd.json().forwardedFrom, { messageId: sendRes.json().id, senderId: a.id, senderName: a.username })
  t.same(fwd.json().content, file, 'content copied')
  t.equal((await get(app, file.url, c.auth)).statusCode, 200, 'c reads the forwarded file')

  // c forwards it on to d: the chain still names a, so d may read it too
  const cd = await direct(app, c, d)
  const again = await app.inject({ method: 'POST', url: `/api/conversations/${cd}/messages`, headers: c.auth, payload: { clientMsgId: randomUUID(), forwardOf: fwd.json().id } })
  t.equal(again.statusCode, 201)
  t.equal(again.json().forwardedFrom.senderId, a.id)
  t.equal((await get(app, file.url, d.auth)).statusCode, 200)

  // b posts a's url as their own message to e and that is forwarded: b is not the uploader, nothing opens
  const e = await registerUser(app)
  const f = await registerUser(app)
  const be = await direct(app, b, e)
  const copy = await app.inject({ method: 'POST', url: `/api/conversations/${be}/messages`, headers: b.auth, payload: { clientMsgId: randomUUID(), type: 'image', content: file } })
  const ef = await direct(app, e, f)
  const fwdCopy = await app.inject({ method: 'POST', url: `/api/conversations/${ef}/messages`, headers: e.auth, payload: { clientMsgId: randomUUID(), forwardOf: copy.json().id } })
  t.equal(fwdCopy.statusCode, 201)
  t.equal((await get(app, file.url, f.auth)).statusCode, 404, 'a forward of a non-uploader\'s copy grants nothing')
})

t.test('downloads need the header or a signed URL: ?token= is refused, valid or not; a missing or bad header is 401', async (t) => {
  const app = await build(t)
  const a = await registerUser(app)
  const b = await registerUser(app)
  const file = await upload(app, a)
  await send(app, a, await direct(app, a, b), 'image', file)

  t.equal((await get(app, file.url, b.auth)).statusCode, 200)
  for (const url of [file.url, `${file.url}?token=${b.accessToken}`, `${file.url}?token=${a.accessToken}`, `${file.url}?token=nope`, `${file.url}?token=${a.refreshToken}`]) {
    const res = await get(app, url)
    t.equal(res.statusCode, 401, url)
    t.equal(res.json().error.code, 'UNAUTHORIZED')
  }
  t.equal((await get(app, file.url, { authorization: 'Bearer nope' })).statusCode, 401)
})

t.test('a file gone from disk is 404, not a crash', async (t) => {
  const app = await build(t)
  const a = await registerUser(app)
  const file = await upload(app, a)
  const id = file.url.split('/').pop() ?? ''
  const row = await app.prisma.upload.findUniqueOrThrow({ where: { id } })
  rmSync(join(app.config.UPLOAD_DIR, row.storageKey))
  t.equal((await get(app, file.url, a.auth)).statusCode, 404)
})
