import { Type, type Static, type TSchema } from 'typebox'
import { Label, Text } from '../../lib/text-schemas.js'
import { SYNC_MAX_CURSORS, SYNC_MAX_LIMIT } from '@relay-im/client/protocol'

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const Uuid = Type.String({ format: 'uuid' })
/** Sequence numbers and cursors are PostgreSQL `integer`s. */
export const Seq = Type.Integer({ minimum: 0, maximum: 2_147_483_647 })
export const ClientMsgId = Text({ minLength: 1, maxLength: 64 })
/** What a client may send; `system` messages are written by the server only. */
export const SendableType = Type.Enum(['text', 'image', 'file', 'custom'])
export type SendableType = Static<typeof SendableType>
/** Every stored message type (`system`: membership and profile changes). */
export const MessageType = Type.Enum(['text', 'image', 'file', 'custom', 'system'])
export type MessageType = Static<typeof MessageType>

/** image/file content; checked in the service once `type` is known. */
export const AttachmentContent = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048, pattern: '^(https?://|/)' }),
  /** shown as the file's name: a label, like the name the upload route stores */
  name: Label({ minLength: 1, maxLength: 255 }),
  size: Type.Integer({ minimum: 0 }),
  mime: Type.String({ minLength: 1, maxLength: 255 }),
  width: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  height: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 }))
}, { additionalProperties: false })

// ---- requests --------------------------------------------------------------------------

/** At most this many user ids in `mentions`. */
export const MENTIONS_MAX = 100
/** User ids, or exactly `["all"]` (checked in the service). */
export const Mentions = Type.Array(Type.Union([Uuid, Type.Literal('all')]), { maxItems: MENTIONS_MAX, uniqueItems: true })

/**
 * `senderId` is accepted and ignored: the sender is always the authenticated user.
 * `type` and `content` are required unless `forwardOf` is given (then both must be absent);
 * checked in the service.
 */
const sendFields = {
  clientMsgId: ClientMsgId,
  type: Type.Optional(SendableType),
  content: Type.Optional(Type.Unknown()),
  senderId: Type.Optional(Type.Unknown()),
  replyTo: Type.Optional(Uuid),
  mentions: Type.Optional(Mentions),
  forwardOf: Type.Optional(Uuid)
}

export const SendMessageBody = Type.Object(sendFields, { additionalProperties: false })
export type SendMessageBody = Static<typeof SendMessageBody>

/** Exactly one of conversationId / toUserId; checked in the handler for a clear message. */
export const SendMessageEvent = Type.Object({
  conversationId: Type.Optional(Uuid),
  toUserId: Type.Optional(Uuid),
  ...sendFields
}, { additionalProperties: false })
export type SendMessageEvent = Static<typeof SendMessageEvent>

export const CursorEvent = Type.Object({ conversationId: Uuid, seq: Seq }, { additionalProperties: false })
export const ReadBody = Type.Object({ seq: Seq }, { additionalProperties: false })
export const RecallEvent = Type.Object({ messageId: Uuid }, { additionalProperties: false })

export const SyncEvent = Type.Object({
  cursors: Type.Record(Type.String({ pattern: UUID_PATTERN }), Seq, { maxProperties: SYNC_MAX_CURSORS, additionalProperties: false }),
  /** The last rev seen per conversation; the ack then lists what changed since. */
  revs: Type.Optional(Type.Record(Type.String({ pattern: UUID_PATTERN }), Seq, { maxProperties: SYNC_MAX_CURSORS, additionalProperties: false })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SYNC_MAX_LIMIT }))
}, { additionalProperties: false })

// ---- Messages that change -----------------------------------------------------------------

/** Text or custom content; checked against the message's type in the service. */
export const EditEvent = Type.Object({ messageId: Uuid, content: Type.Unknown() }, { additionalProperties: false })
export const EditBody = Type.Object({ content: Type.Unknown() }, { additionalProperties: false })
/** One emoji; the rule (an RGI emoji sequence) is checked in the service (reactions.ts), where removal takes any key. */
export const Emoji = Text({ minLength: 1, maxLength: 64 })
export const ReactionEvent = Type.Object({ messageId: Uuid, emoji: Emoji }, { additionalProperties: false })
export const ReactionParams = Type.Object({ id: Uuid, messageId: Uuid, emoji: Emoji })
export const PinEvent = Type.Object({ messageId: Uuid, pinned: Type.Boolean() }, { additionalProperties: false })
export const PinBody = Type.Object({ messageId: Uuid }, { additionalProperties: false })
export const ClearBody = Type.Object({ uptoSeq: Type.Optional(Seq) }, { additionalProperties: false })
export const DeleteMessageQuery = Type.Object({ for: Type.Optional(Type.Enum(['me'])) })
export type SyncEvent = Static<typeof SyncEvent>

export const DirectBody = Type.Object({ userId: Uuid }, { additionalProperties: false })

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

export const IdParams = Type.Object({ id: Uuid })
/** `me`: the caller, to leave */
export const MemberParams = Type.Object({ id: Uuid, userId: Type.Union([Uuid, Type.Literal('me')]) })
export const MemberIdParams = Type.Object({ id: Uuid, userId: Uuid })

// ---- channels ------------------------------------------------------------------------------

/** Labels (src/lib/text-policy.ts), as a group's; lengths in characters are checked again in channel-service.ts. */
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
export const MessageParams = Type.Object({ id: Uuid, messageId: Uuid })

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
export const HistoryQuery = Type.Object({
  before: Type.Optional(Seq),
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 }))
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
  /** at most 100 characters of text, "[image]", "[file]", "[custom]"; empty once recalled */
  preview: Type.String(),
  recalled: Type.Boolean()
})

export const ForwardedFrom = Type.Object({ messageId: Type.String(), senderId: Type.String(), senderName: Type.String() })

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
  pinnedBy: Nullable(Type.String())
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

export const MessagePage = Type.Object({ messages: Type.Array(Message), hasMore: Type.Boolean() })
export const ReadResult = Type.Object({ readSeq: Type.Integer() })
export const ReactionsResult = Type.Object({ reactions: Type.Array(Reaction) })
export const PinList = Type.Array(Message)
