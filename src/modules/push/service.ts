import { createPublicKey } from 'node:crypto'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { conflict, Errors, validation } from '../../lib/errors.js'
import { checkOutboundUrl, OutboundUrlError, type AllowedHosts, type Resolver } from '../../lib/outbound-url.js'
import { uuidv7 } from '../../lib/uuid.js'
import type { SubscriptionBody, SubscriptionView } from './schemas.js'

export interface PushServiceOptions {
  allowedHosts: AllowedHosts
  maxPerUser: number
  /** Tests resolve names without DNS. */
  resolver?: Resolver
}

const b64url = (s: string): Buffer => Buffer.from(s.replace(/=+$/, ''), 'base64url')

/** A P-256 public key as browsers send it: 65 bytes, uncompressed (0x04 ‖ x ‖ y), on the curve. */
function checkP256dh (value: string): void {
  const raw = b64url(value)
  if (raw.length !== 65 || raw[0] !== 4) throw validation('keys.p256dh: expected a 65-byte uncompressed P-256 public key (base64url)')
  try {
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, format: 'jwk' })
  } catch {
    throw validation('keys.p256dh: not a point on the P-256 curve')
  }
}

function checkAuth (value: string): void {
  if (b64url(value).length !== 16) throw validation('keys.auth: expected a 16-byte auth secret (base64url)')
}

interface Row { id: string, endpoint: string, expirationTime: Date | null, createdAt: Date }
const view = (r: Row): SubscriptionView => ({
  id: r.id,
  endpoint: r.endpoint,
  expirationTime: r.expirationTime?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString()
})
const select = { id: true, endpoint: true, expirationTime: true, createdAt: true } as const

/** Web Push subscriptions of the signed-in user (docs/protocol.md, "Web Push and outbound URLs"). */
export function createPushService (prisma: PrismaClient, opts: PushServiceOptions) {
  return {
    /**
     * Registers (or, for an endpoint the user already has, refreshes the keys of) a
     * subscription. The endpoint must pass the outbound-URL check; keys must be well formed;
     * at most `maxPerUser` per user (CONFLICT). Returns whether it was new.
     */
    async subscribe (userId: string, body: SubscriptionBody): Promise<{ id: string, created: boolean }> {
      checkP256dh(body.keys.p256dh)
      checkAuth(body.keys.auth)
      let endpoint: string
      try {
        endpoint = (await checkOutboundUrl(body.endpoint, { allowedHosts: opts.allowedHosts, resolver: opts.resolver })).href
      } catch (err) {
        if (err instanceof OutboundUrlError) throw validation(`endpoint: ${err.message}`)
        throw err
      }
      const expirationTime = body.expirationTime === undefined || body.expirationTime === null ? null : new Date(body.expirationTime)
      if (expirationTime !== null && Number.isNaN(expirationTime.getTime())) throw validation('expirationTime: not a time')
      const data = { p256dh: body.keys.p256dh.replace(/=+$/, ''), auth: body.keys.auth.replace(/=+$/, ''), expirationTime }
      return await prisma.$transaction(async (tx) => {
        const existing = await tx.pushSubscription.findUnique({ where: { userId_endpoint: { userId, endpoint } }, select: { id: true } })
        if (existing !== null) {
          await tx.pushSubscription.update({ where: { id: existing.id }, data })
          return { id: existing.id, created: false }
        }
        const count = await tx.pushSubscription.count({ where: { userId } })
        if (count >= opts.maxPerUser) throw conflict(`At most ${opts.maxPerUser} push subscriptions per user; delete one first`)
        const id = uuidv7()
        await tx.pushSubscription.create({ data: { id, userId, endpoint, ...data } })
        return { id, created: true }
      })
    },

    async list (userId: string): Promise<SubscriptionView[]> {
      const rows = await prisma.pushSubscription.findMany({ where: { userId }, select, orderBy: { createdAt: 'asc' } })
      return rows.map(view)
    },

    async remove (userId: string, id: string): Promise<void> {
      const { count } = await prisma.pushSubscription.deleteMany({ where: { id, userId } })
      if (count === 0) throw Errors.pushSubscriptionNotFound()
    }
  }
}

export type PushService = ReturnType<typeof createPushService>
