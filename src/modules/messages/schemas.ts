import { Type, type Static } from 'typebox'
import { Text } from '../../lib/text-schemas.js'
import { SYNC_MAX_CURSORS, SYNC_MAX_LIMIT } from '@relay-im/client/protocol'
import { SENDABLE_TYPES } from '../message-kinds/index.js'
import { Message, Reaction, Seq, ThreadSummary, UUID_PATTERN, Uuid } from '../conversations/index.js'

export const ClientMsgId = Text({ minLength: 1, maxLength: 64 })
/** What a client may send; `system` messages are written by the server only. */
export const SendableType = Type.Enum(SENDABLE_TYPES)
export type SendableType = Static<typeof SendableType>

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
  forwardOf: Type.Optional(Uuid),
  /** false: send without a link preview (docs/protocol.md, "Link previews"). */
  linkPreview: Type.Optional(Type.Boolean()),
  /** Threads: a reply in the thread of this message (a reply's root is used when it names a reply). */
  threadRootId: Type.Optional(Uuid),
  /** Threads: the reply also shows in the chat's timeline (only with threadRootId). */
  alsoInChat: Type.Optional(Type.Boolean())
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

/** A `membershipsToken`: a membership number (0 .. 2^31-1), as a string. */
export const MembershipsToken = Text({ pattern: '^(0|[1-9][0-9]{0,9})$' })

export const SyncEvent = Type.Object({
  cursors: Type.Record(Type.String({ pattern: UUID_PATTERN }), Seq, { maxProperties: SYNC_MAX_CURSORS, additionalProperties: false }),
  /** The last rev seen per conversation; the ack then lists what changed since. */
  revs: Type.Optional(Type.Record(Type.String({ pattern: UUID_PATTERN }), Seq, { maxProperties: SYNC_MAX_CURSORS, additionalProperties: false })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SYNC_MAX_LIMIT })),
  /** The last `membershipsToken` (null: none yet); the ack then lists the conversations joined since. */
  membershipsSince: Type.Optional(Type.Union([MembershipsToken, Type.Null()])),
  /** Threads: with `revs`, the ack also lists my state of the threads that changed for me since them. */
  threads: Type.Optional(Type.Boolean())
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

export const MessageParams = Type.Object({ id: Uuid, messageId: Uuid })
export const HistoryQuery = Type.Object({
  before: Type.Optional(Seq),
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 }))
})

// ---- responses -------------------------------------------------------------------------

export const MessagePage = Type.Object({
  messages: Type.Array(Message),
  hasMore: Type.Boolean(),
  /** Retention: messages below this seq were purged (0: none ever were). */
  historyStartsAt: Type.Optional(Type.Integer())
})
export const ReadResult = Type.Object({ readSeq: Type.Integer() })
export const ReactionsResult = Type.Object({ reactions: Type.Array(Reaction) })
export const PinList = Type.Array(Message)

// ---- Threads (threads.ts; docs/protocol.md, "Threads") ----------------------------------

export const ThreadParams = Type.Object({ id: Uuid, rootId: Uuid })
/** `before`: threads whose latest reply is older than that seq (the last page's `nextBefore`). */
export const ThreadListQuery = Type.Object({
  before: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 }))
})
export const FollowBody = Type.Object({ following: Type.Boolean() }, { additionalProperties: false })

/** The caller's state of one thread, with its summary. */
export const ThreadState = Type.Object({
  conversationId: Type.String(),
  rootId: Type.String(),
  ...ThreadSummary.properties,
  /** null while the root has no replies */
  lastReplyAt: Type.Union([Type.String(), Type.Null()]),
  following: Type.Boolean(),
  /** the caller's read position in the thread (a conversation seq) */
  readSeq: Type.Integer(),
  /** replies after readSeq by others that the caller sees */
  unread: Type.Integer(),
  /** of those, the ones that mention the caller or "all" */
  unreadMentions: Type.Integer()
})
export const ThreadListItem = Type.Object({ ...ThreadState.properties, root: Message })
export const ThreadPage = Type.Object({
  threads: Type.Array(ThreadListItem),
  /** the `before` of the next page; absent on the last page */
  nextBefore: Type.Optional(Type.Integer())
})
export const ThreadMessagePage = Type.Object({ root: Message, messages: Type.Array(Message), hasMore: Type.Boolean() })
