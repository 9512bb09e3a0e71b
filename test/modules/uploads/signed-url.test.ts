import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { App } from '../../../src/app.js'
import { createUrlSigner } from '../../../src/modules/uploads/signed-url.js'
import { befriend, build, registerUser, type TestUser } from '../../helper.js'
import { makeAdmin } from '../admin/helpers.js'
import { multipart, SAMPLES } from './helpers.js'

async function upload (app: App, user: TestUser): Promise<{ url: string, name: string, size: number, mime: string }> {
  const { payload, headers } = multipart([{ filename: 'pic.png', type: 'image/png', data: SAMPLES.png }])
  const res = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...headers, ...user.auth }, payload })
  if (res.statusCode !== 201) throw new Error(`upload failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

async function group (app: App, owner: TestUser, members: TestUser[]): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'g', memberIds: members.map((m) => m.id) } })
  if (res.statusCode !== 201) throw new Error(`group failed: ${res.statusCode} ${res.body}`)
  return res.json().id
}

async function sendFile (app: App, from: TestUser, conversationId: string, file: unknown): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: from.auth, payload: { clientMsgId: randomUUID(), type: 'image', content: file } })
  if (res.statusCode !== 201) throw new Error(`send failed: ${res.statusCode} ${res.body}`)
  return res.json().id
}

const idOf = (url: string): string => url.split('/').pop()!.split('?')[0]!
const get = async (app: App, url: string, headers: Record<string, string> = {}) => await app.inject({ method: 'GET', url, headers })
const link = async (app: App, user: TestUser, url: string) => await get(app, `${url}/link`, user.auth)
const status = async (app: App, url: string): Promise<string> => {
  const res = await get(app, url)
  return res.statusCode === 200 ? 'ok' : `${res.statusCode} ${res.json().error.code as string}`
}

t.test('a signed URL downloads for its reader without a header; tampering with any part or waiting past the expiry is refused', async (t) => {
  const app = await build(t)
  const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
  const file = await upload(app, a)
  const other = await upload(app, a)
  const g = await group(app, a, [b])
  await sendFile(app, a, g, file)
  await sendFile(app, a, g, other)

  const res = await link(app, b, file.url)
  t.equal(res.statusCode, 200, res.body)
  const { url, expiresAt } = res.json()
  t.match(url, new RegExp(`^/api/uploads/${idOf(file.url)}\\?user=${b.id}&expires=[0-9]+&sig=[A-Za-z0-9_-]+$`))
  t.notMatch(url, b.accessToken, 'no access token in the URL')
  t.ok(Date.parse(expiresAt) > Date.now() + 50 * 60_000 && Date.parse(expiresAt) <= Date.now() + 3600_000 + 1000, 'bounded: an hour')
  const ok = await get(app, url)
  t.equal(ok.statusCode, 200)
  t.same(ok.rawPayload, SAMPLES.png)
  t.match(ok.headers['cache-control'], /^private, max-age=([0-9]|[1-9][0-9]|[12][0-9][0-9]|300)$/, 'cached briefly, privately')

  const q = new URL(url, 'http://x').searchParams
  const [user, expires, sig] = [q.get('user')!, q.get('expires')!, q.get('sig')!]
  const build$ = (id: string, u: string, e: string, s: string): string => `/api/uploads/${id}?user=${u}&expires=${e}&sig=${s}`
  t.equal(await status(app, build$(idOf(other.url), user, expires, sig)), '401 UNAUTHORIZED', 'another upload id')
  t.equal(await status(app, build$(idOf(file.url), a.id, expires, sig)), '401 UNAUTHORIZED', 'another reader')
  t.equal(await status(app, build$(idOf(file.url), c.id, expires, sig)), '401 UNAUTHORIZED', 'a stranger')
  t.equal(await status(app, build$(idOf(file.url), user, String(Number(expires) + 3600), sig)), '401 UNAUTHORIZED', 'a later expiry')
  t.equal(await status(app, build$(idOf(file.url), user, expires, sig.slice(0, -2))), '401 UNAUTHORIZED', 'a cut signature')
  t.equal(await status(app, build$(idOf(file.url), user, expires, `${sig}AA`)), '401 UNAUTHORIZED', 'a longer signature')
  t.equal(await status(app, `/api/uploads/${idOf(file.url)}?user=${user}&expires=${expires}`), '401 UNAUTHORIZED', 'no signature')
  t.equal(await status(app, `/api/uploads/${idOf(file.url)}?sig=${sig}`), '401 UNAUTHORIZED', 'signature alone')
  t.equal(await status(app, `${url}&extra=1`), '400 VALIDATION', 'unknown query fields')

  // A URL signed with the server's key two hours ago: its signature is good, its time is over.
  const signer = createUrlSigner(app.config.JWT_SECRET)
  const old = signer.sign(idOf(file.url), b.id, Date.now() - 2 * 3600_000)
  const expired = await get(app, old.url)
  t.equal(expired.statusCode, 401)
  t.match(expired.json().error.message, /expired/)
  t.equal(await status(app, signer.sign(idOf(file.url), b.id).url), 'ok', 'the same signer now: fine')
  t.equal(await status(app, createUrlSigner('another secret of at least thirty-two chars').sign(idOf(file.url), b.id).url), '401 UNAUTHORIZED', 'another key')
})

t.test('access tokens in URLs are refused, valid or not; the header still works', async (t) => {
  const app = await build(t)
  const [a, b] = [await registerUser(app), await registerUser(app)]
  const file = await upload(app, a)
  await befriend(app, a, b)
  await sendFile(app, a, await group(app, a, [b]), file)
  for (const token of [b.accessToken, a.accessToken, 'nope']) {
    const res = await get(app, `${file.url}?token=${token}`)
    t.equal(res.statusCode, 401)
    t.equal(res.json().error.code, 'UNAUTHORIZED')
    t.match(res.json().error.message, /signed URL/)
  }
  t.equal((await get(app, file.url, b.auth)).statusCode, 200, 'Authorization header')
  t.equal((await get(app, `${file.url}?token=${b.accessToken}`, b.auth)).statusCode, 401, 'a token in the URL is refused even beside a good header')
  t.equal((await get(app, `${file.url}/link`)).statusCode, 401, 'minting needs the header')
})

t.test('a signed URL stops working when its reader leaves, hides the message, or the message is recalled or removed', async (t) => {
  const app = await build(t)
  const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
  const admin = await makeAdmin(app)
  const g = await group(app, a, [b, c])

  // Leaving the conversation.
  const f1 = await upload(app, a)
  await sendFile(app, a, g, f1)
  const forB = (await link(app, b, f1.url)).json().url
  const forC = (await link(app, c, f1.url)).json().url
  t.equal(await status(app, forB), 'ok')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/groups/${g}/members/${b.id}`, headers: b.auth })).statusCode, 200)
  t.equal(await status(app, forB), '404 NOT_FOUND', 'b left: refused at once, though the URL has not expired')
  t.equal((await link(app, b, f1.url)).statusCode, 404, 'and no new one is minted')
  t.equal(await status(app, forC), 'ok', 'c is still there')

  // Delete for me.
  const f2 = await upload(app, a)
  const m2 = await sendFile(app, a, g, f2)
  const c2 = (await link(app, c, f2.url)).json().url
  t.equal(await status(app, c2), 'ok')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${g}/messages/${m2}?for=me`, headers: c.auth })).statusCode, 204)
  t.equal(await status(app, c2), '404 NOT_FOUND', 'a message c deleted for themselves carries no file for c')

  // Recall by the sender.
  const f3 = await upload(app, a)
  const m3 = await sendFile(app, a, g, f3)
  const c3 = (await link(app, c, f3.url)).json().url
  t.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${g}/messages/${m3}`, headers: a.auth })).statusCode, 204)
  t.equal(await status(app, c3), '404 NOT_FOUND', 'recalled: gone for the members')
  t.equal((await get(app, f3.url, a.auth)).statusCode, 200, 'the uploader keeps their own file')

  // A forward of a recalled or removed origin carries no file either.
  const f4 = await upload(app, a)
  const m4 = await sendFile(app, a, g, f4)
  const cb = await group(app, c, [b])
  const fwd = await app.inject({ method: 'POST', url: `/api/conversations/${cb}/messages`, headers: c.auth, payload: { clientMsgId: randomUUID(), forwardOf: m4 } })
  t.equal(fwd.statusCode, 201, fwd.body)
  const b4 = (await link(app, b, f4.url)).json().url
  t.equal(await status(app, b4), 'ok', 'b reads it through the forward')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${g}/messages/${m4}`, headers: a.auth })).statusCode, 204)
  t.equal(await status(app, b4), '404 NOT_FOUND', 'the origin was recalled: the forward no longer carries the file')

  const f5 = await upload(app, a)
  const m5 = await sendFile(app, a, g, f5)
  const fwd5 = await app.inject({ method: 'POST', url: `/api/conversations/${cb}/messages`, headers: c.auth, payload: { clientMsgId: randomUUID(), forwardOf: m5 } })
  t.equal(fwd5.statusCode, 201)
  const b5 = (await link(app, b, f5.url)).json().url
  t.equal(await status(app, b5), 'ok')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/admin/messages/${m5}`, headers: admin.auth })).statusCode, 204)
  t.equal(await status(app, b5), '404 NOT_FOUND', 'removed by an admin: not through the forward either')
  t.equal((await get(app, f5.url, c.auth)).statusCode, 404, 'nor with the header')
})
