import { Type, type Static } from 'typebox'
import { Text } from '../../lib/text-schemas.js'
import { DisplayName, UserSchema, Username } from '../users/index.js'

export const CreateBotBody = Type.Object({ username: Username, displayName: DisplayName }, { additionalProperties: false })
export type CreateBot = Static<typeof CreateBotBody>

export const BotIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

/** The bot's token: 256 random bits, shown only in the reply that created or rotated it. */
export const BotToken = Type.String({ description: 'Send as `Authorization: Bot <token>` (REST) or `auth.token = "Bot <token>"` (socket); shown only once' })

/** One of my bots: its user (isBot: true) and its webhook's URL (never the secret). */
export const BotSchema = Type.Object({
  ...UserSchema.properties,
  isBot: Type.Literal(true),
  webhook: Type.Union([Type.Object({ url: Type.String(), since: Type.String({ format: 'date-time' }) }), Type.Null()])
})
export type BotView = Static<typeof BotSchema>

export const BotCreatedSchema = Type.Object({ bot: BotSchema, token: BotToken })
export const BotTokenSchema = Type.Object({ token: BotToken })

/** At least 16 characters: the secret keys an HMAC, a short one could be brute-forced from a signed body. */
export const WebhookBody = Type.Object({
  url: Text({ minLength: 1, maxLength: 2048 }),
  secret: Text({ minLength: 16, maxLength: 256 })
}, { additionalProperties: false })
export type WebhookInput = Static<typeof WebhookBody>

export const DeliveriesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  before: Type.Optional(Type.String({ format: 'date-time', description: 'Only attempts before this time (paging: the createdAt of the last row)' }))
}, { additionalProperties: false })

/** One delivery attempt, newest first. */
export const DeliverySchema = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  messageId: Type.String(),
  seq: Type.Integer(),
  attempt: Type.Integer({ minimum: 1 }),
  status: Type.Union([Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('gave_up')]),
  responseCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' })
})
export type DeliveryView = Static<typeof DeliverySchema>
