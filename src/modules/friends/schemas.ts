import { Type, type Static } from 'typebox'
import { Text } from '../../lib/text-schemas.js'
import { PresenceSchema, UserSchema } from '../users/index.js'

export const Uuid = Type.String({ format: 'uuid' })
const DateTime = Type.String({ format: 'date-time' })

export const RequestStatus = Type.Union([Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('declined'), Type.Literal('cancelled')])

export const FriendRequestSchema = Type.Object({
  id: Type.String(),
  fromUserId: Type.String(),
  toUserId: Type.String(),
  from: UserSchema,
  to: UserSchema,
  message: Type.Union([Type.String(), Type.Null()]),
  status: RequestStatus,
  createdAt: DateTime,
  respondedAt: Type.Union([DateTime, Type.Null()])
})
export type FriendRequestView = Static<typeof FriendRequestSchema>

export const SendRequestBody = Type.Object({
  toUserId: Uuid,
  message: Type.Optional(Text({ maxLength: 200 }))
}, { additionalProperties: false })

export const RequestIdParams = Type.Object({ id: Uuid })
export const UserIdParams = Type.Object({ userId: Uuid })

export const DirectionQuery = Type.Object({
  direction: Type.Optional(Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')], { default: 'incoming' }))
})
export type Direction = 'incoming' | 'outgoing'

export const FriendSchema = Type.Object({
  user: UserSchema,
  since: DateTime,
  presence: PresenceSchema
})

export const RelationSchema = Type.Object({
  isFriend: Type.Boolean(),
  since: Type.Optional(DateTime),
  blocked: Type.Boolean({ description: 'I block them' }),
  blockedBy: Type.Boolean({ description: 'They block me' })
})

export const BlockSchema = Type.Object({ userId: Type.String(), createdAt: DateTime })
export const BlockedUserSchema = Type.Object({ user: UserSchema, createdAt: DateTime })
