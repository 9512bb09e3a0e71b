import { Type, type Static, type TSchema } from 'typebox'
import { Text } from '../../lib/text-schemas.js'
import { MESSAGE_TYPES, PollResults } from '../message-kinds/index.js'

/** Only a uuid (any case); for record keys, where `format` cannot apply. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const Uuid = Type.String({ format: 'uuid' })
/** Sequence numbers and cursors are PostgreSQL `integer`s. */
export const Seq = Type.Integer({ minimum: 0, maximum: 2_147_483_647 })
/** Every stored message type: the kinds of the registry (src/modules/message-kinds). */
export const MessageType = Type.Enum(MESSAGE_TYPES)
export type MessageType = Static<typeof MessageType>

export const DirectBody = Type.Object({ userId: Uuid }, { additionalProperties: false })

export const IdParams = Type.Object({ id: Uuid })

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
  /** Include archived conversations (they are left out otherwise) */
  archived: Type.Optional(Type.Boolean())
})

/** An ISO 8601 instant; whether it is a real date (2026-13-45 is not) is checked in the service. */
export const ISO_INSTANT = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$'
export const NotifyLevel = Type.Enum(['all', 'mentions', 'none'])
/** PATCH /conversations/:id/settings; at least one field. */
export const SettingsBody = Type.Object({
  notify: Type.Optional(NotifyLevel),
  mutedUntil: Type.Optional(Type.Union([Text({ maxLength: 40, pattern: ISO_INSTANT }), Type.Null()])),
  archived: Type.Optional(Type.Boolean()),
  pinned: Type.Optional(Type.Boolean())
}, { additionalProperties: false, minProperties: 1 })
export const Settings = Type.Object({
  notify: NotifyLevel,
  mutedUntil: Nullable(Type.String()),
  /** in effect: a later message un-archives a conversation that is not muted */
  archived: Type.Boolean(),
  pinned: Type.Boolean()
})

// ---- responses -------------------------------------------------------------------------

export const PublicUser = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  avatarUrl: Nullable(Type.String())
})

export const Reaction = Type.Object({
  emoji: Type.String(),
  count: Type.Integer(),
  /** the first 100 reactors */
  userIds: Type.Array(Type.String())
})

export const ReplyTo = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  senderId: Type.String(),
  type: MessageType,
  /** the quoted message's preview (its kind's, src/modules/message-kinds); empty once recalled */
  preview: Type.String(),
  recalled: Type.Boolean()
})

export const ForwardedFrom = Type.Object({ messageId: Type.String(), senderId: Type.String(), senderName: Type.String() })

/** Link previews (docs/protocol.md, "Link previews"): `image` is an upload on this server. */
export const LinkPreview = Type.Object({
  url: Type.String(),
  title: Nullable(Type.String()),
  description: Nullable(Type.String()),
  siteName: Nullable(Type.String()),
  image: Nullable(Type.String())
})

/** A thread root's summary (docs/protocol.md, "Threads"). */
export const ThreadSummary = Type.Object({
  replyCount: Type.Integer(),
  /** the conversation seq of the latest reply */
  lastReplySeq: Type.Integer(),
  lastReplyAt: Type.String(),
  /** up to three user ids, the latest replier first */
  lastRepliers: Type.Array(Type.String())
})

export const Message = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  seq: Type.Integer(),
  senderId: Type.String(),
  sender: PublicUser,
  clientMsgId: Type.String(),
  type: MessageType,
  /** null once recalled */
  content: Type.Unknown(),
  createdAt: Type.String(),
  recalled: Type.Boolean(),
  recalledAt: Nullable(Type.String()),
  /** The conversation's rev at this message's last change (sync by rev finds it). */
  rev: Type.Integer(),
  editedAt: Nullable(Type.String()),
  replyTo: Nullable(ReplyTo),
  /** user ids, or ["all"] */
  mentions: Type.Array(Type.String()),
  reactions: Type.Array(Reaction),
  forwardedFrom: Nullable(ForwardedFrom),
  pinnedAt: Nullable(Type.String()),
  pinnedBy: Nullable(Type.String()),
  /** polls only: the results, the same for every viewer (message-kinds/poll.ts) */
  poll: Type.Optional(PollResults),
  /** link previews: attached after the fetch (absent before, when none, removed or recalled) */
  linkPreview: Type.Optional(LinkPreview),
  /** thread replies only: the root they belong to */
  threadRootId: Type.Optional(Type.String()),
  /** thread replies only: also sent to the chat (shown in the main timeline) */
  alsoInChat: Type.Optional(Type.Boolean()),
  /** thread roots with replies only: the summary, the same for every viewer */
  thread: Type.Optional(ThreadSummary)
})

export const Member = Type.Object({
  ...PublicUser.properties,
  role: Type.Enum(['owner', 'admin', 'member']),
  joinedAt: Type.String()
})

export const Peer = Type.Object({
  ...PublicUser.properties,
  presence: Type.Object({ online: Type.Boolean(), lastSeenAt: Nullable(Type.String()), hidden: Type.Optional(Type.Literal(true)) })
})

export const Conversation = Type.Object({
  id: Type.String(),
  type: Type.Enum(['direct', 'group', 'channel']),
  /** groups and channels only */
  name: Type.Optional(Type.String()),
  /** Groups and channels (null when none) */
  topic: Type.Optional(Nullable(Type.String())),
  /** Groups only */
  avatarUrl: Type.Optional(Nullable(Type.String())),
  ownerId: Type.Optional(Nullable(Type.String())),
  /** channels: how many members (their list is not in the view: empty `members`) */
  memberCount: Type.Optional(Type.Integer()),
  /** empty for a channel */
  members: Type.Array(Member),
  /** direct only: the other user with presence */
  peer: Type.Optional(Peer),
  lastMessage: Nullable(Message),
  lastSeq: Type.Integer(),
  /** Groups and channels: the conversation's own retention policy in days (null: the server's default). */
  retentionDays: Type.Optional(Nullable(Type.Integer())),
  /** Retention: messages below this seq were purged (0: none ever were); seqs are never renumbered. */
  historyStartsAt: Type.Integer(),
  /** The caller's own cursors and unread count; absent in `conversation:updated` (shared by all members). */
  readSeq: Type.Optional(Type.Integer()),
  deliveredSeq: Type.Optional(Type.Integer()),
  unread: Type.Optional(Type.Integer()),
  /** Unread messages that mention the caller or "all" */
  unreadMentions: Type.Optional(Type.Integer()),
  /** The caller's settings (absent in `conversation:updated`) */
  settings: Type.Optional(Settings),
  createdAt: Type.String(),
  lastActivityAt: Type.String()
})
