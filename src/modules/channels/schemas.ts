import { Type } from 'typebox'
import { Label, Text } from '../../lib/text-schemas.js'
import { Nullable } from '../conversations/index.js'

/** Labels (src/lib/text-policy.ts), as a group's; lengths in characters are checked again in service.ts. */
export const CreateChannelBody = Type.Object({
  name: Label({ minLength: 1, maxLength: 64 }),
  topic: Type.Optional(Label({ minLength: 1, maxLength: 256 }))
}, { additionalProperties: false })
export const ChannelListQuery = Type.Object({
  /** A case-insensitive substring of the name; %, _ and \ match themselves. */
  q: Type.Optional(Text({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Text({ minLength: 1, maxLength: 200 }))
})
export const ChannelSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  topic: Nullable(Type.String()),
  ownerId: Nullable(Type.String()),
  memberCount: Type.Integer(),
  /** whether the caller is a member */
  joined: Type.Boolean(),
  createdAt: Type.String(),
  lastActivityAt: Type.String()
})
