import { Type, type Static } from 'typebox'
import { Label, Text } from '../../lib/text-schemas.js'

/** Lower-case after normalisation; input may carry upper case and surrounding blanks. */
export const USERNAME_RE = /^[a-z0-9_.-]{3,32}$/

export const Username = Text({ pattern: '^\\s*[A-Za-z0-9_.-]{3,32}\\s*$', description: '3-32 chars of [a-z0-9_.-]; trimmed and stored lower-case' })
export const Password = Text({ minLength: 8, maxLength: 128 })
/** A label (src/lib/text-policy.ts): one line, no bidi controls, not blank; stored NFC and trimmed. */
export const DisplayName = Label({ minLength: 1, maxLength: 64 })
export const AvatarUrl = Type.String({ maxLength: 2048, format: 'uri', pattern: '^https?://[^\\s/?#]+' })

export const UserId = Type.String({ format: 'uuid' })
export const UserIdParams = Type.Object({ id: UserId })

/** The public face of a user: everything another user may see. */
export const UserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  /** Present (true) only on bot accounts. */
  isBot: Type.Optional(Type.Literal(true))
})
export type PublicUser = Static<typeof UserSchema>

/** The signed-in user's own view: the public face plus the platform role. */
/** Who sees my presence (online, last seen): docs/protocol.md, "Presence". */
export const PresenceVisibilitySchema = Type.Union([Type.Literal('everyone'), Type.Literal('contacts'), Type.Literal('nobody')])

export const MeSchema = Type.Object({
  ...UserSchema.properties,
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  presenceVisibility: PresenceVisibilitySchema
})
export type Me = Static<typeof MeSchema>

export const PresenceSchema = Type.Object({
  online: Type.Boolean(),
  lastSeenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** Present (true) when the user does not show their presence to the caller: then offline, never seen. */
  hidden: Type.Optional(Type.Literal(true))
})

export const UserWithPresenceSchema = Type.Object({
  ...UserSchema.properties,
  presence: PresenceSchema
})

export const UpdateMeBody = Type.Object({
  displayName: Type.Optional(DisplayName),
  avatarUrl: Type.Optional(Type.Union([AvatarUrl, Type.Null()])),
  presenceVisibility: Type.Optional(PresenceVisibilitySchema)
}, { additionalProperties: false })
export type UpdateMe = Static<typeof UpdateMeBody>

export const SearchQuery = Type.Object({
  q: Text({ minLength: 1, maxLength: 32, pattern: '\\S' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 20 }))
})

