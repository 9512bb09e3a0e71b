import { Type, type Static } from 'typebox'
import { ERROR_STATUS } from '@relay-im/client/protocol'
import { Uuid } from '../conversations/index.js'
import { ClientMsgId, Mentions, SendableType } from '../messages/index.js'

const DateTime = Type.String({ format: 'date-time' })

/** `POST /conversations/:id/scheduled`: a send's fields (no forwards) and when. */
export const ScheduleBody = Type.Object({
  clientMsgId: ClientMsgId,
  type: SendableType,
  content: Type.Unknown(),
  sendAt: DateTime,
  replyTo: Type.Optional(Uuid),
  mentions: Type.Optional(Mentions)
}, { additionalProperties: false })
export type ScheduleBody = Static<typeof ScheduleBody>

/** `PATCH /scheduled/:id`. */
export const ScheduledEditBody = Type.Object({
  content: Type.Optional(Type.Unknown()),
  sendAt: Type.Optional(DateTime)
}, { additionalProperties: false })

export const ScheduledListQuery = Type.Object({ conversationId: Type.Optional(Uuid) }, { additionalProperties: false })

/** The wire shape (packages/client/src/protocol.ts, `ScheduledMessage`). */
export const Scheduled = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  clientMsgId: Type.String(),
  type: Type.String(),
  content: Type.Unknown(),
  replyTo: Type.Union([Type.String(), Type.Null()]),
  mentions: Type.Union([Type.Array(Type.String()), Type.Null()]),
  sendAt: DateTime,
  status: Type.Enum(['scheduled', 'queued', 'sending', 'sent', 'failed', 'cancelled']),
  messageId: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.Enum(Object.keys(ERROR_STATUS)), message: Type.String() }), Type.Null()]),
  createdAt: DateTime,
  updatedAt: DateTime
})
export const ScheduledList = Type.Array(Scheduled)
