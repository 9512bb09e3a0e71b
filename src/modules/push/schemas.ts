import { Type, type Static } from 'typebox'
import { Text } from '../../lib/text-schemas.js'

/** base64url without padding (browsers' PushSubscription.toJSON() gives keys this way); padding is tolerated. */
const B64URL = '^[A-Za-z0-9_-]+={0,2}$'

export const SubscriptionBody = Type.Object({
  endpoint: Text({ minLength: 1, maxLength: 2048, description: 'The push service URL the browser gave (https; checked against private addresses)' }),
  keys: Type.Object({
    p256dh: Text({ pattern: B64URL, minLength: 86, maxLength: 90, description: 'The browser\'s P-256 public key, 65 bytes uncompressed, base64url' }),
    auth: Text({ pattern: B64URL, minLength: 22, maxLength: 24, description: 'The 16-byte auth secret, base64url' })
  }, { additionalProperties: false }),
  expirationTime: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Milliseconds since the epoch, as PushSubscription gives it' }))
}, { additionalProperties: false })
export type SubscriptionBody = Static<typeof SubscriptionBody>

export const SubscriptionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  endpoint: Type.String(),
  expirationTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' })
})
export type SubscriptionView = Static<typeof SubscriptionSchema>

export const SubscriptionIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

export const VapidKeySchema = Type.Object({
  publicKey: Type.String({ description: 'VAPID public key (base64url), the applicationServerKey for pushManager.subscribe' })
})

/** What a push carries (encrypted, aes128gcm) to the service worker. */
export interface PushPayload {
  conversationId: string
  messageId: string
  seq: number
  sender: { id: string, displayName: string }
  /** Absent when PUSH_PREVIEW=false. */
  preview?: string
  /** Messages in the conversation the recipient has not read. */
  unread: number
}
