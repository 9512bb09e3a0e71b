import t from 'tap'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, listen, registerUser } from '../../helper.js'
import { filesIn, multipart, SAMPLES, uploadRows } from './helpers.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('an allowed file is stored under a random key and described for a message', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const { payload, headers } = multipart([{ filename: 'cat.png', type: 'image/png', data: SAMPLES.png }])
  const res = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...headers, ...user.auth }, payload })
  t.equal(res.statusCode, 201, res.body)
  const body = res.json()
  t.same(Object.keys(body).sort(), ['mime', 'name', 'size', 'url'])
  t.match(body, { name: 'cat.png', size: SAMPLES.png.length, mime: 'image/png' })
  const id = /^\/api\/uploads\/(.+)$/.exec(body.url)?.[1] ?? ''
  t.match(id, UUID)

  const row = await app.prisma.upload.findUniqueOrThrow({ where: { id } })
  t.match(row, { uploaderId: user.id, name: 'cat.png', mime: 'image/png', size: SAMPLES.png.length })
  t.match(row.storageKey, UUID)
  t.not(row.storageKey, id, 'the storage key is not the public id')
  const dir = app.config.UPLOAD_DIR
  t.same(filesIn(dir), [row.storageKey], 'one complete file, no temporary left')
  t.same(readFileSync(join(dir, row.storageKey)), SAMPLES.png)
})

t.test('each type of the default allowlist whose bytes match is accepted; names lose paths and control characters', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const cases: Array<[string, Buffer, string]> = [
    ['image/jpeg', SAMPLES.jpeg, 'photo.jpg'],
    ['image/gif', SAMPLES.gif, 'anim.gif'],
    ['image/webp', SAMPLES.webp, 'pic.webp'],
    ['application/pdf', SAMPLES.pdf, 'doc.pdf'],
    ['application/zip', SAMPLES.zip, 'a.zip'],
    ['text/plain; charset=utf-8', SAMPLES.text, '../../etc/notes\u0007.txt']
  ]
  for (const [type, data, filename] of cases) {
    const { payload, headers } = multipart([{ filename, type, data }])
    const res = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...headers, ...user.auth }, payload })
    t.equal(res.statusCode, 201, `${type}: ${res.body}`)
    t.equal(res.json().mime, type.split(';')[0])
  }
  const rows = await app.prisma.upload.findMany({ where: { uploaderId: user.id, mime: 'text/plain' } })
  t.equal(rows[0]?.name, 'notes.txt')
  t.equal(filesIn(app.config.UPLOAD_DIR).length, cases.length)
})

t.test('a file up to UPLOAD_MAX_BYTES is accepted; one byte more is 413 and leaves nothing behind', async (t) => {
  const app = await build(t, { UPLOAD_MAX_BYTES: 1024 })
  const user = await registerUser(app)
  const exact = Buffer.concat([SAMPLES.png, Buffer.alloc(1024 - SAMPLES.png.length, 1)])
  const ok = multipart([{ filename: 'exact.png', type: 'image/png', data: exact }])
  const accepted = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...ok.headers, ...user.auth }, payload: ok.payload })
  t.equal(accepted.statusCode, 201, accepted.body)
  t.equal(accepted.json().size, 1024)

  const other = await registerUser(app)
  const before = filesIn(app.config.UPLOAD_DIR)
  for (const size of [1025, 4000, 200_000]) { // cut while streaming, and refused by Content-Length up front
    const big = multipart([{ filename: 'big.png', type: 'image/png', data: Buffer.concat([SAMPLES.png, Buffer.alloc(size - SAMPLES.png.length, 1)]) }])
    const res = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...big.headers, ...other.auth }, payload: big.payload })
    t.equal(res.statusCode, 413, `${size} bytes`)
    t.equal(res.json().error.code, 'PAYLOAD_TOO_LARGE')
  }
  t.same(filesIn(app.config.UPLOAD_DIR), before, 'no new or temporary file')
  t.equal(await uploadRows(app, other.id), 0)
})

t.test('types outside the allowlist, and declared types the first bytes contradict, are 400 VALIDATION with nothing written', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const cases: Array<[string, Buffer, string]> = [
    ['text/html', Buffer.from('<script>alert(1)</script>'), 'not allowed'],
    ['image/svg+xml', Buffer.from('<svg/>'), 'not allowed'],
    ['application/octet-stream', SAMPLES.png, 'not allowed'],
    ['image/png', SAMPLES.jpeg, 'jpeg bytes declared png'],
    ['image/jpeg', SAMPLES.text, 'text declared jpeg'],
    ['image/gif', Buffer.from('GIF90a-nope'), 'bad gif version'],
    ['image/webp', Buffer.concat([Buffer.from('RIFF'), Buffer.from([0, 0, 0, 0]), Buffer.from('WAVEfmt ')]), 'a wav is not webp'],
    ['application/pdf', Buffer.from('%PDx-1.7'), 'not a pdf'],
    ['text/plain', SAMPLES.png, 'a png is not text'],
    ['text/plain', SAMPLES.pdf, 'a pdf is not text'],
    ['image/png', Buffer.alloc(0), 'empty']
  ]
  for (const [type, data, why] of cases) {
    const { payload, headers } = multipart([{ filename: 'x.bin', type, data }])
    const res = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...headers, ...user.auth }, payload })
    t.equal(res.statusCode, 400, `${type}: ${why}`)
    t.equal(res.json().error.code, 'VALIDATION', why)
  }
  t.same(filesIn(app.config.UPLOAD_DIR), [])
  t.equal(await uploadRows(app, user.id), 0)
})

t.test('no file, a non-multipart body or no token: nothing is stored', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const fieldOnly = multipart([{ field: 'note', data: 'just a field' }])
  const noFile = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...fieldOnly.headers, ...user.auth }, payload: fieldOnly.payload })
  t.equal(noFile.statusCode, 400)
  t.equal(noFile.json().error.code, 'VALIDATION')

  const json = await app.inject({ method: 'POST', url: '/api/uploads', headers: user.auth, payload: { url: '/x' } })
  t.equal(json.statusCode, 400)
  t.equal(json.json().error.code, 'VALIDATION')

  const empty = await app.inject({ method: 'POST', url: '/api/uploads', headers: user.auth })
  t.equal(empty.statusCode, 400)

  const file = multipart([{ filename: 'a.png', type: 'image/png', data: SAMPLES.png }])
  for (const auth of [{}, { authorization: 'Bearer nope' }]) {
    const res = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...file.headers, ...auth }, payload: file.payload })
    t.equal(res.statusCode, 401)
    t.equal(res.json().error.code, 'UNAUTHORIZED')
  }
  t.same(filesIn(app.config.UPLOAD_DIR), [])
  t.equal(await uploadRows(app, user.id), 0)
})

// Found by the REST fuzzer: a body declared multipart that is not (here 'pr') was a 500.
t.test('malformed multipart bodies are 400 VALIDATION with nothing written', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const boundary = 'zz'
  const partHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`
  const bodies: Array<[string, string | Buffer]> = [
    ['two bytes, no boundary', 'pr'],
    ['a part header that never ends', `--${boundary}\r\nContent-Disposition: form-data; name="file"`],
    ['a file part without its closing boundary', Buffer.concat([Buffer.from(partHead), SAMPLES.png])],
    ['garbage after the boundary', `--${boundary}\r\n\u0000\u0001\u0002`]
  ]
  for (const [what, payload] of bodies) {
    const res = await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...user.auth, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })
    t.same([res.statusCode, res.json().error?.code], [400, 'VALIDATION'], what)
  }
  t.same(filesIn(app.config.UPLOAD_DIR), [], 'no file left behind')
  t.equal(await uploadRows(app, user.id), 0, 'no row')
})

t.test('an upload cut off half way leaves no partial file and no row', async (t) => {
  const { app, url } = await listen(t)
  const user = await registerUser(app)
  const dir = app.config.UPLOAD_DIR
  const boundary = 'relaycutboundary'
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.png"\r\nContent-Type: image/png\r\n\r\n`
  const req = httpRequest(`${url}/api/uploads`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + 100_000) }
  })
  req.on('error', () => {})
  req.write(head)
  req.write(Buffer.concat([SAMPLES.png, Buffer.alloc(20_000, 1)]))

  // the temporary file appears while the body streams in...
  let seen: string[] = []
  for (let i = 0; i < 100 && seen.length === 0; i++) {
    await sleep(20)
    seen = filesIn(dir)
  }
  t.equal(seen.length, 1, 'a temporary file was being written')
  t.match(seen[0], /^\..+\.part$/)

  // ...and is gone once the client disappears
  req.destroy()
  let left = seen
  for (let i = 0; i < 100 && left.length > 0; i++) {
    await sleep(20)
    left = filesIn(dir)
  }
  t.same(left, [])
  t.equal(await uploadRows(app, user.id), 0)
})
