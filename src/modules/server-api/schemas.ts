import { Type, type Static } from 'typebox'
import { Label, Text } from '../../lib/text-schemas.js'
import { AvatarUrl } from '../users/index.js'
import { ClientMsgId, SendableType } from '../messages/index.js'
import { SCOPES } from './keys.js'

const DateTime = Type.String({ format: 'date-time' })
const Uuid = Type.String({ format: 'uuid' })

/**
 * The app's own id for a user: 1-128 printable ASCII characters without spaces (its database
 * key, an email, a UUID). No control, bidi or invisible characters can pass, so an id reads
 * the same in every log and audit entry.
 */
export const ExternalId = Text({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$' })
export const ExternalIdParams = Type.Object({ externalId: ExternalId })
export const KeyIdParams = Type.Object({ id: Uuid })

export const Scope = Type.Union(SCOPES.map((s) => Type.Literal(s)))
export const CreateServerKeyBody = Type.Object({
  name: Label({ minLength: 1, maxLength: 64 }),
  scopes: Type.Array(Scope, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true })
}, { additionalProperties: false })

export const ServerKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  /** The admin who created it; null: `npm run admin -- server-key create` */
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime,
  revokedAt: Type.Union([DateTime, Type.Null()])
})
export type ServerKeyView = Static<typeof ServerKeySchema>
export const ServerKeyCreatedSchema = Type.Object({ ...ServerKeySchema.properties, key: Type.String({ description: 'rsk_…: shown only this once; send as `Authorization: Server <key>`' }) })

export const UpsertUserBody = Type.Object({
  displayName: Label({ minLength: 1, maxLength: 64 }),
  avatarUrl: Type.Optional(Type.Union([AvatarUrl, Type.Null()]))
}, { additionalProperties: false })

export const ServerUserSchema = Type.Object({
  id: Type.String(),
  externalId: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime,
  suspended: Type.Boolean()
})
export type ServerUser = Static<typeof ServerUserSchema>

export const UsersPageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  /** The last externalId of the previous page (x-next-cursor). */
  after: Type.Optional(ExternalId)
}, { additionalProperties: false })

export const ServerSuspendBody = Type.Object({
  reason: Text({ minLength: 1, maxLength: 1000, pattern: '\\S' })
}, { additionalProperties: false })

export const ServerTokensSchema = Type.Object({ accessToken: Type.String(), refreshToken: Type.String(), user: ServerUserSchema })

/** A message from one of the app's users, by external id; idempotent by (user, clientMsgId) as every send. */
export const ServerSendBody = Type.Object({
  as: ExternalId,
  clientMsgId: ClientMsgId,
  type: SendableType,
  content: Type.Unknown()
}, { additionalProperties: false })

export const ServerGroupBody = Type.Object({
  /** The owner, by external id. */
  owner: ExternalId,
  name: Label({ minLength: 1, maxLength: 64 }),
  members: Type.Array(ExternalId, { uniqueItems: true, maxItems: 1000 })
}, { additionalProperties: false })

export const ServerMembersBody = Type.Object({
  members: Type.Array(ExternalId, { uniqueItems: true, minItems: 1, maxItems: 1000 })
}, { additionalProperties: false })

export const ServerFriendsBody = Type.Object({ a: ExternalId, b: ExternalId }, { additionalProperties: false })

/** A system message from the app (`app_notice`): its words, idempotent by clientMsgId per conversation. */
export const ServerNoticeBody = Type.Object({
  clientMsgId: ClientMsgId,
  text: Text({ minLength: 1, maxLength: 2000, pattern: '\\S' })
}, { additionalProperties: false })

export const ServerChannelBody = Type.Object({
  /** The owner, by external id. */
  owner: ExternalId,
  name: Label({ minLength: 1, maxLength: 64 }),
  topic: Type.Optional(Label({ minLength: 1, maxLength: 256 })),
  members: Type.Array(ExternalId, { uniqueItems: true, maxItems: 1000 })
}, { additionalProperties: false })
