import { Type, type Static } from 'typebox'
import { Text } from '../../lib/text-schemas.js'

const Uuid = Type.String({ format: 'uuid' })
const DateTime = Type.String({ format: 'date-time' })
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])

/** ISO 8601 with a time and a zone; a calendar-impossible value is refused after parsing. */
export const ISO_INSTANT = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$'

export const Reason = Text({ minLength: 1, maxLength: 1000, pattern: '\\S' })
export const IdParams = Type.Object({ id: Uuid })
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(Text({ minLength: 1, maxLength: 200 }))
}

export const AdminUserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  avatarUrl: Nullable(Type.String()),
  createdAt: DateTime,
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  /** True while the suspension holds (an expired `suspendedUntil` has lifted it). */
  suspended: Type.Boolean(),
  suspendedAt: Nullable(DateTime),
  suspendedUntil: Nullable(DateTime),
  suspendedReason: Nullable(Type.String()),
  deleted: Type.Boolean()
})
export type AdminUser = Static<typeof AdminUserSchema>

export const UsersQuery = Type.Object({
  q: Type.Optional(Text({ maxLength: 32 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 }))
}, { additionalProperties: false })

export const SuspendBody = Type.Object({
  reason: Reason,
  until: Type.Optional(Text({ maxLength: 40, pattern: ISO_INSTANT, description: 'ISO 8601 instant in the future; absent: until lifted' }))
}, { additionalProperties: false })

/** In the query string: DELETE bodies are dropped by some proxies and clients. */
export const RemoveMessageQuery = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false })

export const ReportSchema = Type.Object({
  id: Type.String(),
  reporterId: Type.String(),
  messageId: Nullable(Type.String()),
  userId: Nullable(Type.String()),
  reason: Type.String(),
  createdAt: DateTime
})
export type ReportView = Static<typeof ReportSchema>

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  /** null: the operator's command line (`npm run admin`) or an app backend's server key (details.serverKeyId) */
  actorId: Nullable(Type.String()),
  action: Type.String({ description: 'user.suspend, user.unsuspend, user.promote, user.demote, message.remove, server_key.create, server_key.revoke, user.token' }),
  targetType: Type.String({ description: 'user, message or server_key' }),
  targetId: Type.String(),
  reason: Nullable(Type.String()),
  details: Type.Unknown(),
  createdAt: DateTime
})
export type AuditEntry = Static<typeof AuditEntrySchema>

export const ReportsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export const AuditQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
