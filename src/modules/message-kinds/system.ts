import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { validation } from '../../lib/errors.js'
import { MESSAGE_PREVIEWS } from '@relay-im/client/protocol'
import type { MessageKind } from './kind.js'

const Id = Type.String({ format: 'uuid' })

/** What a system message's content says happened (the SDK's `SystemContent`). */
export const SystemContent = Type.Object({
  event: Type.Enum(['member_added', 'member_removed', 'member_left', 'member_joined', 'role_changed',
    'owner_transferred', 'renamed', 'topic_changed', 'avatar_changed', 'message_pinned', 'app_notice', 'retention_changed']),
  actorId: Id,
  userIds: Type.Optional(Type.Array(Id)),
  name: Type.Optional(Type.String()),
  topic: Type.Optional(Type.String()),
  messageId: Type.Optional(Id),
  role: Type.Optional(Type.Enum(['admin', 'member'])),
  /** app_notice: the app's text (server API, POST /api/server/conversations/:id/system-messages). */
  text: Type.Optional(Type.String()),
  days: Type.Optional(Type.Union([Type.Integer(), Type.Null()]))
}, { additionalProperties: false })

const system = Compile(SystemContent)

/** Written by the server only (messages/system-messages.ts); never sent, edited or forwarded. */
export const systemKind = {
  type: 'system',
  sendable: false,
  editable: false,
  content: SystemContent,
  check (content) {
    if (!system.Check(content)) throw validation('content: not a system message\'s content')
  },
  preview: MESSAGE_PREVIEWS.system
} satisfies MessageKind<'system', typeof SystemContent>
