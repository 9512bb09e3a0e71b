import http from 'node:http'
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto'
import type { AddressInfo } from 'node:net'
// @ts-expect-error http_ece ships no types
import ece from 'http_ece'

/**
 * A local push service speaking RFC 8030, for tests: it accepts a push only with a valid VAPID
 * authorization (RFC 8292: `vapid t=<JWT>, k=<key>`, the JWT ES256-signed by k, aud = this
 * origin, exp within 24 h), and decrypts the aes128gcm body (RFC 8291) with the subscription's
 * private key and auth secret, as a browser would. Responses can be scripted per subscription.
 */
export interface Received {
  subscription: string
  headers: http.IncomingHttpHeaders
  payload: any
  vapid: { aud: string, sub: string, exp: number, k: string }
  /** performance.now() when the request ended (the bench times pushes with it). */
  receivedAt: number
}

export interface Device {
  /** What the browser's PushSubscription.toJSON() would give. */
  subscription: { endpoint: string, keys: { p256dh: string, auth: string }, expirationTime: null }
  name: string
}

export interface PushService {
  origin: string
  /** A new browser subscription on this service. */
  device: () => Device
  /** Pushes decrypted, in arrival order. */
  received: Received[]
  /** Requests refused (bad VAPID, bad encryption, scripted failures), with the status sent. */
  refused: Array<{ subscription: string, status: number, reason: string }>
  /** The next answers for a subscription (e.g. [500, 503] then the default 201; or [410]). */
  script: (device: Device, statuses: number[]) => void
  /** Answer accepted pushes this late from now on (0: at once). */
  setDelay: (ms: number) => void
  /** Pushes answered 201 so far (a delayed answer counts once sent). */
  answered: () => number
  /** Resolves once `n` pushes (matching `filter`) arrived. */
  waitFor: (n: number, filter?: (r: Received) => boolean, timeoutMs?: number) => Promise<Received[]>
  close: () => Promise<void>
}

const b64 = (b: Buffer): string => b.toString('base64url')

function verifyVapid (authorization: string | undefined, origin: string): Received['vapid'] {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '')
  if (m === null) throw new Error(`no vapid authorization: ${authorization ?? '(none)'}`)
  const [, jwt, k] = m as unknown as [string, string, string]
  const [h, p, s] = jwt.split('.') as [string, string, string]
  const header = JSON.parse(Buffer.from(h, 'base64url').toString())
  if (header.alg !== 'ES256' || header.typ !== 'JWT') throw new Error(`bad JWT header ${JSON.stringify(header)}`)
  const raw = Buffer.from(k, 'base64url')
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 key')
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(raw.subarray(1, 33)), y: b64(raw.subarray(33)) }, format: 'jwk' })
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) {
    throw new Error('JWT signature does not verify with k')
  }
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
  const now = Date.now() / 1000
  if (claims.aud !== origin) throw new Error(`aud ${String(claims.aud)} is not ${origin}`)
  if (typeof claims.exp !== 'number' || claims.exp <= now || claims.exp > now + 24 * 3600 + 60) throw new Error('exp out of range')
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) throw new Error('sub missing')
  return { aud: claims.aud, sub: claims.sub, exp: claims.exp, k }
}

export async function startPushService (opts: { vapidPublicKey?: string, /** answer each accepted push this late */ delayMs?: number } = {}): Promise<PushService> {
  const keys = new Map<string, { ecdh: ECDH, auth: Buffer }>()
  const scripts = new Map<string, number[]>()
  const received: Received[] = []
  const refused: PushService['refused'] = []
  const waiters: Array<() => void> = []
  let origin = ''
  let delayMs = opts.delayMs ?? 0
  let answered = 0

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const receivedAt = performance.now()
      const name = (req.url ?? '').replace(/^\/push\//, '')
      const refuse = (status: number, reason: string): void => {
        refused.push({ subscription: name, status, reason })
        res.writeHead(status).end(reason)
      }
      const sub = keys.get(name)
      if (req.method !== 'POST' || sub === undefined) { refuse(404, 'no such subscription'); return }
      const scripted = scripts.get(name)?.shift()
      if (scripted !== undefined) { refuse(scripted, 'scripted'); return }
      try {
        const vapid = verifyVapid(req.headers.authorization, origin)
        if (opts.vapidPublicKey !== undefined && vapid.k !== opts.vapidPublicKey) throw new Error('k is not the server\'s VAPID key')
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('not aes128gcm')
        if (req.headers.ttl === undefined || !/^\d+$/.test(String(req.headers.ttl))) throw new Error('TTL missing')
        const topic = req.headers.topic
        if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(String(topic))) throw new Error('bad Topic')
        const plain: Buffer = ece.decrypt(Buffer.concat(chunks), { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth })
        received.push({ subscription: name, headers: req.headers, payload: JSON.parse(plain.toString('utf8')), vapid, receivedAt })
      } catch (err) {
        refuse(400, (err as Error).message)
        return
      }
      const answer = (): void => {
        if (res.destroyed) return // the server went away meanwhile
        answered++
        res.writeHead(201, { location: `${origin}/message/${received.length}` }).end()
      }
      if (delayMs > 0) setTimeout(answer, delayMs).unref()
      else answer()
      for (const w of waiters.splice(0)) w()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  let n = 0
  return {
    origin,
    received,
    refused,
    device: () => {
      const name = `sub${++n}-${randomBytes(4).toString('hex')}`
      const ecdh = createECDH('prime256v1')
      ecdh.generateKeys()
      const auth = randomBytes(16)
      keys.set(name, { ecdh, auth })
      return { name, subscription: { endpoint: `${origin}/push/${name}`, keys: { p256dh: b64(ecdh.getPublicKey()), auth: b64(auth) }, expirationTime: null } }
    },
    script: (device, statuses) => { scripts.set(device.name, [...statuses]) },
    setDelay: (ms) => { delayMs = ms },
    answered: () => answered,
    waitFor: async (count, filter = () => true, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const got = received.filter(filter)
        if (got.length >= count) return got
        if (Date.now() > deadline) throw new Error(`waited for ${count} pushes, got ${got.length} (refused: ${JSON.stringify(refused)})`)
        await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 100) })
      }
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}
