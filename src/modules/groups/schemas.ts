import { Type } from 'typebox'
import { Label, Text } from '../../lib/text-schemas.js'
import { Nullable, Uuid } from '../conversations/index.js'

export const GroupName = Label({ minLength: 1, maxLength: 64 })
export const CreateGroupBody = Type.Object({
  name: GroupName,
  memberIds: Type.Array(Uuid, { uniqueItems: true, maxItems: 1000 })
}, { additionalProperties: false })
export const AddMembersBody = Type.Object({
  userIds: Type.Array(Uuid, { uniqueItems: true, minItems: 1, maxItems: 1000 })
}, { additionalProperties: false })

/** Group (and channel) profile: labels; their lengths are checked in the service (in characters). */
export const UpdateGroupBody = Type.Object({
  name: Type.Optional(Label({ maxLength: 1000 })),
  /** null clears it */
  topic: Type.Optional(Type.Union([Label({ maxLength: 4000 }), Type.Null()])),
  /** an image uploaded by the caller to this server (/api/uploads/<id>); null clears it */
  avatarUrl: Type.Optional(Type.Union([Text({ maxLength: 2048 }), Type.Null()]))
}, { additionalProperties: false, minProperties: 1 })
/** Retention: days to keep messages (bounds RETENTION_MIN_DAYS..RETENTION_MAX_DAYS, checked by the service), or null for the server's default. */
export const RetentionBody = Type.Object({
  days: Type.Union([Type.Integer({ minimum: 1, maximum: 36_500 }), Type.Null()])
}, { additionalProperties: false })
export const RoleBody = Type.Object({ role: Type.Enum(['admin', 'member']) }, { additionalProperties: false })
export const TransferBody = Type.Object({ userId: Uuid }, { additionalProperties: false })
/** Invites: both optional (no expiry, no use limit) */
export const CreateInviteBody = Type.Object({
  expiresInS: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000 })),
  maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 }))
}, { additionalProperties: false })
/** Any text: a malformed code is NOT_FOUND like an unknown one (checked in the service). */
export const InviteCode = Text({ minLength: 1, maxLength: 128 })
export const InviteParams = Type.Object({ code: InviteCode })
export const GroupInviteParams = Type.Object({ id: Uuid, code: InviteCode })
export const Invite = Type.Object({
  id: Type.String(),
  code: Type.String(),
  conversationId: Type.String(),
  expiresAt: Nullable(Type.String()),
  maxUses: Nullable(Type.Integer()),
  uses: Type.Integer(),
  createdAt: Type.String()
})
/** GET /groups/:id/invites: a live invite without its code (only its hash is stored). */
export const InviteLink = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String(),
  expiresAt: Nullable(Type.String()),
  maxUses: Nullable(Type.Integer()),
  uses: Type.Integer()
})
export const BannedMember = Type.Object({
  user: Type.Object({ id: Type.String(), username: Type.String(), displayName: Type.String(), avatarUrl: Nullable(Type.String()) }),
  bannedBy: Nullable(Type.String()),
  bannedAt: Type.String()
})
export const InvitePreview = Type.Object({
  conversation: Type.Object({ id: Type.String(), name: Type.String(), topic: Nullable(Type.String()), memberCount: Type.Integer() })
})

/** `me`: the caller, to leave */
export const MemberParams = Type.Object({ id: Uuid, userId: Type.Union([Uuid, Type.Literal('me')]) })
export const MemberIdParams = Type.Object({ id: Uuid, userId: Uuid })
