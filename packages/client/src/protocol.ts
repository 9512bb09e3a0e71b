/**
 * The wire contract (docs/protocol.md) in one module: the server, the SDK and the web page
 * import it as `@relay-im/client/protocol`. Types and a few tiny constants only, so it adds
 * nothing to a browser bundle; nothing here may import server code or Node APIs.
 */

/**
 * The contract's version. Bumped when the contract gains something the SDK relies on; the
 * server states it at `GET /api/version` and the SDK refuses a server that states an older one.
 * 2: messages that change (rev, edit, reply, mentions, reactions, forward, pins, delete for me).
 */
export const PROTOCOL_VERSION = 2

/** Every error code of REST bodies and socket acks, with its usual HTTP status. */
export const ERROR_STATUS = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500
} as const

/** Error codes of REST bodies and socket acks. */
export type ErrorCode = keyof typeof ERROR_STATUS

/** The error of a failed REST response or socket ack: a code, a message, and for RATE_LIMITED the suggested wait. */
export interface ErrorBody { code: ErrorCode, message: string, retryAfterMs?: number }

/** Socket acknowledgement. */
export type Ack<T> = { ok: true, data: T } | { ok: false, error: ErrorBody }

/** `GET /api/version`. */
export interface VersionInfo {
  protocol: number
  server: string
  /** How long after sending a message its sender may recall it, in seconds (absent from servers before it was added). */
  recallWindowS?: number
}

// ---------------------------------------------------------------- limits

/** The server reads at most this many conversations per `sync`. */
export const SYNC_MAX_CURSORS = 100
/** Largest `limit` of one `sync` page. */
export const SYNC_MAX_LIMIT = 500
/** Default text length limit in characters (the server's TEXT_MAX_CHARS may differ). */
export const DEFAULT_TEXT_MAX_CHARS = 4000

// ---------------------------------------------------------------- users and auth

/** A user as others see them. */
export interface User {
  id: string
  username: string
  displayName: string
  avatarUrl: string | null
  createdAt: string
  /** Present (true) only on bot accounts (`POST /bots`). */
  isBot?: boolean
}

/** `hidden`: the user does not show their presence to you (their setting); then offline, never seen. */
export interface PresenceState { online: boolean, lastSeenAt: string | null, hidden?: true }

/** Who sees my presence (online, last seen): anyone, friends only (the default), nobody. */
export type PresenceVisibility = 'everyone' | 'contacts' | 'nobody'

/** A user with their presence (`GET /users/:id`). */
export interface UserWithPresence extends User { presence: PresenceState }

/** `GET /users/me`: my own profile, with my platform role and my presence setting. */
export interface Me extends User { role: 'user' | 'admin', presenceVisibility: PresenceVisibility }

/** `GET /uploads/:id/link`: a URL that downloads the file for me only, until `expiresAt`. */
export interface SignedFileUrl { url: string, expiresAt: string }

/** An access token and the refresh token that renews it. */
export interface Tokens { accessToken: string, refreshToken: string }

/** What sign-in and registration return: the tokens and the user. */
export interface Session extends Tokens { user: User }

/** A username and password. */
export interface Credentials { username: string, password: string }

/** `POST /auth/register`: credentials and an optional profile. */
export interface RegisterInput extends Credentials {
  displayName?: string
  avatarUrl?: string | null
}

/** `PATCH /users/me`: the fields to change. */
export interface ProfileUpdate {
  displayName?: string
  avatarUrl?: string | null
  /** Who sees my presence; friends are told at once. */
  presenceVisibility?: PresenceVisibility
}

// ---------------------------------------------------------------- friends

/** Where a friend request stands. */
export type FriendRequestStatus = 'pending' | 'accepted' | 'declined' | 'cancelled'

/** A friend request, with both users. */
export interface FriendRequest {
  id: string
  fromUserId: string
  toUserId: string
  message: string | null
  status: FriendRequestStatus
  createdAt: string
  respondedAt: string | null
  from: User
  to: User
}

/** One of my friends: the user, since when, and their presence. */
export interface Friend { user: User, since: string, presence: PresenceState }

/** `GET /friends/:userId`: whether we are friends and whether either side blocked the other. */
export interface Relation { isFriend: boolean, since?: string, blocked: boolean, blockedBy: boolean }

/** A block I made (`POST /blocks/:userId`). */
export interface Block { userId: string, createdAt: string }

/** One entry of `GET /blocks`: the blocked user and when. */
export interface BlockedUser { user: User, createdAt: string }

// ---------------------------------------------------------------- conversations and messages


/** v2: what a system message's content says happened. */
export type SystemEvent = 'member_added' | 'member_removed' | 'member_left' | 'member_joined' | 'role_changed' |
  'owner_transferred' | 'renamed' | 'topic_changed' | 'avatar_changed' | 'message_pinned' | 'app_notice' | 'retention_changed'

/** v2: content of a `system` message. */
export interface SystemContent {
  event: SystemEvent
  /** Who did it (for member_left / member_joined, the member themselves). */
  actorId: string
  /** The members concerned: added, removed, whose role changed, the new owner. */
  userIds?: string[]
  /** renamed: the new name. */
  name?: string
  /** topic_changed: the new topic ("" when cleared). */
  topic?: string
  /** message_pinned: the pinned message. */
  messageId?: string
  /** role_changed: the new role. */
  role?: 'admin' | 'member'
  /** app_notice: the app's own words (server API system message); `actorId` is the member it was written under. */
  text?: string
  /** retention_changed: days messages are now kept (null: the server's default). */
  days?: number | null
}

/** Content of an image or file message. */
export interface FileContent {
  url: string
  name: string
  size: number
  mime: string
  width?: number
  height?: number
}

/** The SDK's name for the content of an image or file message. */
export type Attachment = FileContent

/**
 * Content of a poll (fixed once sent): 2-10 distinct options, identified by their index.
 * `multiple` and `anonymous` default to false; after `closesAt` nobody can vote.
 */
export interface PollContent {
  question: string
  options: string[]
  multiple?: boolean
  anonymous?: boolean
  closesAt?: string
}

/**
 * A poll's results, on every live poll message, the same for every viewer: `counts[i]` votes
 * for option i, `voters` distinct members who voted. `votes` (public polls only): per option
 * index, the first 100 voters in vote order; anonymous polls never say who voted what.
 */
export interface PollResults {
  counts: number[]
  voters: number
  closed: boolean
  closedAt: string | null
  /** Who closed it; null when open or closed by its `closesAt`. */
  closedBy: string | null
  votes?: Record<string, string[]>
}

/** `poll:vote` ack and `GET /messages/:id/poll`: the results and the caller's own choice. */
export interface PollState { poll: PollResults, myVotes: number[] }

/**
 * Each message kind and its content: the one table `Message`, `SendInput` and `MessageType`
 * are derived from, so a new kind is one entry here.
 */
export interface MessageContentMap {
  text: string
  image: Attachment
  file: Attachment
  /** Any JSON object the app defines. */
  custom: Record<string, unknown>
  poll: PollContent
  /** Membership and profile changes, written by the server only. */
  system: SystemContent
}

/** Every message kind. */
export type MessageType = keyof MessageContentMap
/** What a client may send: every kind but `system`. */
export type SendableMessageType = Exclude<MessageType, 'system'>

/** Any kind's content; null once recalled. Prefer narrowing a `Message` on `type`. */
export type MessageContent = MessageContentMap[MessageType] | null

/** The author of a message, as the message carries them. */
export interface Sender {
  id: string
  username: string
  displayName: string
  avatarUrl: string | null
}

/** v2: the quoted message of a reply, as stored with the reply (recalled read when served). */
export interface ReplyRef {
  id: string
  seq: number
  senderId: string
  type: MessageType
  /** At most 100 characters of text, "[image]", "[file]", "[custom]"; "" once recalled. */
  preview: string
  recalled: boolean
}

/** v2: one emoji on a message; `userIds` are the first 100 reactors, in reaction order. */
export interface Reaction { emoji: string, count: number, userIds: string[] }

/** v2: the original author of a forwarded message (a forward of a forward keeps the first). */
export interface ForwardedFrom { messageId: string, senderId: string, senderName: string }

// ---- Link previews (docs/protocol.md, "Link previews") ----------------------------------

/**
 * The preview of a text message's first http(s) URL, fetched by the server after the message
 * committed and attached with `message:updated`. Texts are single-line labels (text policy);
 * `image` is an upload on this server (`/api/uploads/:id`), never the third-party site.
 */
export interface LinkPreview {
  /** The URL previewed, as normalised by the server (IDN hosts in punycode). */
  url: string
  title: string | null
  description: string | null
  siteName: string | null
  /** The preview image stored as an upload, or null. */
  image: string | null
}

/** `message:link-preview:remove`: the sender removes a message's preview (it stays removed). */
export interface LinkPreviewRemoveRequest { messageId: string }

/** What every message has, whatever its kind. */
export interface MessageBase {
  id: string
  conversationId: string
  seq: number
  senderId: string
  sender: Sender
  clientMsgId: string
  createdAt: string
  recalledAt?: string | null
  /** v2: the conversation's change counter at this message's latest change. */
  rev: number
  editedAt: string | null
  replyTo: ReplyRef | null
  /** User ids, or `["all"]`; `[]` when none. */
  mentions: string[]
  /** Emojis in the order they were first used; `[]` when none. */
  reactions: Reaction[]
  forwardedFrom: ForwardedFrom | null
  pinnedAt: string | null
  pinnedBy: string | null
  /** Polls only (absent once recalled). */
  poll?: PollResults
  /** Link previews: the preview of a text's first URL, once the server fetched it (absent before, when none, removed or recalled). */
  linkPreview?: LinkPreview
  /** Thread replies only: the root of their thread. */
  threadRootId?: string
  /** Thread replies only: also sent to the chat (shown in the main timeline). */
  alsoInChat?: boolean
  /** Thread roots with replies only: the summary, the same for every viewer. */
  thread?: ThreadSummary
}

/** A live message of kind K: its content is that kind's (see MessageContentMap). */
export type MessageOf<K extends MessageType> = MessageBase & {
  type: K
  content: MessageContentMap[K]
  /** History, sync and message:updated say false (message:new is always a fresh message). */
  recalled?: false
}

/** A recalled message: it keeps its kind, its content is gone. */
export type RecalledMessage = MessageBase & { type: MessageType, content: null, recalled: true }

/**
 * A message, discriminated on `type` once recalled ones are set apart:
 * `if (!m.recalled && m.type === 'image') m.content.url`.
 */
export type Message = { [K in MessageType]: MessageOf<K> }[MessageType] | RecalledMessage

/** A message not narrowed on `type`: what the server builds and emits (every Message is one). */
export type AnyMessage = MessageBase & { type: MessageType, content: MessageContent, recalled?: boolean }

/** The largest number of distinct emojis on one message. */
export const REACTIONS_MAX = 20
/** The largest number of distinct emojis one member puts on one message (a 4th is CONFLICT). */
export const REACTIONS_PER_MEMBER = 3
/** The largest number of pinned messages per conversation. */
export const PINS_MAX = 50
/** The largest number of ids in `mentions`. */
export const MENTIONS_MAX = 100
/** Characters of a reply's `preview`. */
export const REPLY_PREVIEW_MAX = 100

/** A member of a conversation with their role and join time. */
export interface ConversationMember extends Sender {
  role: 'owner' | 'admin' | 'member'
  joinedAt: string
}

/** v2: the conversation types; a channel is a public group anyone may join. */
export type ConversationType = 'direct' | 'group' | 'channel'

/** v2: who gets notified of new messages in a conversation (per member). */
export type NotifyLevel = 'all' | 'mentions' | 'none'

/** v2: a member's own settings of a conversation. */
export interface ConversationSettings {
  notify: 'all' | 'mentions' | 'none'
  /** Muted (no notification) until then; null: not muted. */
  mutedUntil: string | null
  /** In effect now: a later message (not system, not while muted) un-archives it. */
  archived: boolean
  pinned: boolean
}

/** v2: PATCH /conversations/:id/settings (at least one field). */
export interface SettingsPatch {
  notify?: 'all' | 'mentions' | 'none'
  /** An ISO instant in the future, or null to unmute. */
  mutedUntil?: string | null
  archived?: boolean
  pinned?: boolean
}

/** The SDK's name for SettingsPatch. */
export type SettingsUpdate = SettingsPatch

/** v2, to the member's own devices after PATCH /conversations/:id/settings. */
export interface SettingsEvent { conversationId: string, settings: ConversationSettings }

/** `M`: the server builds conversations with AnyMessage; the SDK hands out narrowed ones. */
export interface Conversation<M extends AnyMessage = Message> {
  id: string
  type: ConversationType
  /** Groups and channels only. */
  name?: string
  /** v2, groups and channels: their description, null when none. */
  topic?: string | null
  /** v2, groups only: an upload of this server (/api/uploads/<id>). */
  avatarUrl?: string | null
  ownerId?: string | null
  /** Channels: how many members (their list is not sent: `members` is empty for a channel). */
  memberCount?: number
  /** Empty for a channel (see memberCount). */
  members: ConversationMember[]
  /** Direct only: the other user, with presence. */
  peer?: Sender & { presence: PresenceState }
  lastMessage: M | null
  lastSeq: number
  /** Retention, groups and channels: their own policy in days (null: the server's default, `RETENTION_DAYS`). */
  retentionDays?: number | null
  /** Retention: messages below this seq were purged by the retention policy (0: none ever were). Seqs are never renumbered. */
  historyStartsAt?: number
  /** The caller's own positions; absent in `conversation:updated` (shared by all members). */
  readSeq?: number
  deliveredSeq?: number
  unread?: number
  /** v2, the caller's own: unread messages that mention the caller or "all". */
  unreadMentions?: number
  /** v2, the caller's own; absent in `conversation:updated`. */
  settings?: ConversationSettings
  createdAt: string
  lastActivityAt: string
}

/** One page of `GET /conversations/:id/messages`; `hasMore`: more lie beyond it. */
export interface HistoryPage {
  messages: Message[]
  hasMore: boolean
  /** Retention: messages below this seq were purged (0: none ever were); no page goes below it. */
  historyStartsAt?: number
}

/** v2 channels: a name and a topic have at most this many characters (no control characters, not blank). */
export const CHANNEL_NAME_MAX = 64
/** The most characters of a channel topic. */
export const CHANNEL_TOPIC_MAX = 256
/** v2: `POST /channels`. */
export interface CreateChannelInput { name: string, topic?: string }
/** v2: `GET /channels` options; `q` is a case-insensitive substring of the name (at most 64 characters). */
export interface ChannelListOptions { q?: string, limit?: number, cursor?: string }
/** v2: one entry of `GET /channels` (most members first). */
export interface ChannelSummary {
  id: string
  name: string
  topic: string | null
  ownerId: string | null
  memberCount: number
  /** Whether the caller is a member. */
  joined: boolean
  createdAt: string
  lastActivityAt: string
}
/** v2: one page of `GET /channels`; `nextCursor` (the x-next-cursor header) is absent on the last page. */
export interface ChannelPage { channels: ChannelSummary[], nextCursor?: string }

/** Which page of history to read (`history`): before or after a seq, or the latest. */
export interface HistoryOptions {
  /** Messages with seq < before, newest first. */
  before?: number
  /** Messages with seq > after, oldest first. */
  after?: number
  limit?: number
}

/** Paging of `GET /conversations`. */
export interface ListOptions {
  limit?: number
  cursor?: string
  /** v2: include archived conversations. */
  archived?: boolean
}

// ---------------------------------------------------------------- v2: groups, invites, channels

/** `PATCH /groups/:id` (owner, admins); null clears the topic or avatar. */
export interface GroupProfileUpdate {
  name?: string
  topic?: string | null
  avatarUrl?: string | null
}

/** `POST /groups/:id/invites` options: lifetime in seconds and use limit (server defaults when absent). */
export interface InviteOptions { expiresInS?: number, maxUses?: number }

/** `POST /groups/:id/invites`: a new invite, with its code (shown this once). */
export interface Invite {
  /** the invite's id: `revokeInvite` takes it as well as the code */
  id: string
  code: string
  conversationId: string
  expiresAt: string | null
  maxUses: number | null
  uses: number
  createdAt: string
}

/** `GET /groups/:id/invites` (owner, admins): a live invite; its code is never shown again. */
export interface InviteLink {
  id: string
  conversationId: string
  /** who made it (null: an account since deleted) */
  createdBy: string | null
  createdAt: string
  expiresAt: string | null
  maxUses: number | null
  uses: number
}

/**
 * `GET /groups/:id/bans` (owner, admins): a user removed by the owner or an admin. While
 * banned they cannot join the channel again nor use any invite to the group.
 */
export interface BannedMember {
  user: { id: string, username: string, displayName: string, avatarUrl: string | null }
  /** who removed them (null: unknown) */
  bannedBy: string | null
  bannedAt: string
}

/** `GET /invites/:code`: what the invite leads to, for a preview before joining. */
export interface InvitePreview {
  conversation: { id: string, name: string, topic: string | null, memberCount: number }
}

/** One page of GET /conversations; `nextCursor` (the x-next-cursor header) is absent on the last page. */
export interface ConversationPage { conversations: Conversation[], nextCursor?: string }

/** Options of `GET /search/messages`. */
export interface SearchOptions {
  /** Only this conversation (one I am a member of, else NOT_FOUND). */
  conversationId?: string
  /** 1-50, default 20. */
  limit?: number
  /** The nextCursor of the previous page. */
  cursor?: string
}
/** Where the query matched: `[start, end)` in UTF-16 code units of `text` (string indexes), sorted. */
export interface SearchHighlight { text: string, ranges: Array<{ start: number, end: number }> }
/** One search hit: the message, its conversation and where the query matched. */
export interface SearchResult { message: Message, conversationId: string, highlight: SearchHighlight }
/** One page of GET /search/messages, newest first; `nextCursor` (the x-next-cursor header) is absent on the last page. */
export interface SearchPage { results: SearchResult[], nextCursor?: string }

// ---------------------------------------------------------------- socket: client -> server

/** Where a message goes: a conversation, or a user (a direct message). */
export type SendTarget = { conversationId: string, toUserId?: undefined } | { toUserId: string, conversationId?: undefined }

/** v2 options of a send: a reply (same conversation) and mentions (member ids, or `["all"]`). */
export interface SendExtras {
  replyTo?: string
  mentions?: string[]
  /** Link previews: false sends a text without a preview of its first URL (default: previewed). */
  linkPreview?: boolean
  /** A reply in the thread of this message (a reply in a thread names that thread's root). */
  threadRootId?: string
  /** With threadRootId: the reply also shows in the chat's timeline. */
  alsoInChat?: boolean
}

/** A sendable kind with its content: `{ type: 'image', content: 'x' }` does not compile. */
export type SendContent = { [K in SendableMessageType]: { type: K, content: MessageContentMap[K], forwardOf?: undefined } }[SendableMessageType]

/**
 * What `send` takes: the `message:send` payload, with clientMsgId made by the SDK when absent.
 * A forward (`forwardOf`) copies type and content from the original, so it gives neither.
 */
export type SendInput = SendTarget & SendExtras & (SendContent | { forwardOf: string, type?: undefined, content?: undefined }) & {
  /** Made by the SDK when absent; keep it to retry the same message later. */
  clientMsgId?: string
}

/** The `message:send` payload on the wire. */
export type SendPayload = SendTarget & SendExtras & {
  clientMsgId: string
  type?: SendableMessageType
  content?: MessageContent
  forwardOf?: string
}

/** The ack of `message:send`: the stored message's id, conversation, seq and time. */
export interface SendAck { id: string, conversationId: string, seq: number, clientMsgId: string, createdAt: string }
/** The ack of `message:read`: my read position now. */
export interface ReadAck { readSeq: number }
/** The ack of `message:delivered`: my delivered position now. */
export interface DeliveredAck { deliveredSeq: number }
/** The `sync` payload: per conversation, the last seq (and rev) seen. */
export interface SyncRequest {
  cursors: Record<string, number>
  /** v2: the last rev seen per conversation; the ack then lists what changed since. */
  revs?: Record<string, number>
  limit?: number
  /**
   * The last `membershipsToken` (null: none yet, so every membership not in `cursors` is
   * new); the ack then lists the conversations joined since. Absent: no `joined` in the ack.
   */
  membershipsSince?: string | null
  /** Threads: with `revs`, the ack also lists my state of the threads that changed for me since them. */
  threads?: boolean
}
/** The ack of `sync`: messages after the cursors and changes after the revs. */
export interface SyncResult {
  messages: Message[]
  /** v2: messages at or below the cursors changed after `revs`, oldest change first. */
  updated: Message[]
  /** v2: per listed conversation, the rev the caller is now complete up to. */
  revs: Record<string, number>
  /**
   * With `membershipsSince`: conversations the caller became a member of after it (not
   * listed in `cursors`), at most SYNC_MAX_CURSORS; their messages are in `messages` from
   * their start (as for a cursor at 0).
   */
  joined?: Conversation[]
  /** With `membershipsSince`: send it as `membershipsSince` next time (opaque). */
  membershipsToken?: string
  /** With `threads`: my state of each thread that changed for me after `revs` (new replies in one I follow, my follow or read elsewhere). */
  threads?: ThreadState[]
  /**
   * Retention: per listed conversation whose history was purged, the seq it now starts at.
   * A cursor below it is answered from there: the seqs between were removed, not missed.
   */
  historyStartsAt?: Record<string, number>
  hasMore: boolean
}
/** The ack of `reaction:add` / `reaction:remove`: the message's reactions now. */
export interface ReactionsAck { reactions: Reaction[] }
/** The ack of `auth:refresh`: when the new access token expires. */
export interface AuthRefreshAck { expiresAt: string | number }
/** The payload of `message:read` / `message:delivered`. */
export interface CursorRequest { conversationId: string, seq: number }

/** Every client -> server event: its payload and the `data` of a successful ack. */
export interface ClientToServerEvents {
  'message:send': { payload: SendPayload, ack: SendAck }
  'message:read': { payload: CursorRequest, ack: ReadAck }
  'message:delivered': { payload: CursorRequest, ack: DeliveredAck }
  'message:recall': { payload: { messageId: string }, ack: Record<string, never> }
  'message:edit': { payload: { messageId: string, content: MessageContent }, ack: Message }
  'message:pin': { payload: { messageId: string, pinned: boolean }, ack: Message }
  'reaction:add': { payload: { messageId: string, emoji: string }, ack: ReactionsAck }
  'reaction:remove': { payload: { messageId: string, emoji: string }, ack: ReactionsAck }
  /** Vote, change a vote, or retract it (`optionIndexes: []`). */
  'poll:vote': { payload: { messageId: string, optionIndexes: number[] }, ack: PollState }
  'poll:close': { payload: { messageId: string }, ack: Message }
  /** Link previews: the sender removes a message's preview. */
  'message:link-preview:remove': { payload: LinkPreviewRemoveRequest, ack: Message }
  sync: { payload: SyncRequest, ack: SyncResult }
  typing: { payload: { conversationId: string, typing: boolean }, ack: Record<string, never> }
  signal: { payload: { toUserId: string, name: string, payload: unknown }, ack: Record<string, never> }
  'auth:refresh': { payload: { token: string }, ack: AuthRefreshAck }
}

// ---------------------------------------------------------------- socket: server -> client

/** `message:read` / `message:delivered`: a member's position moved to `seq`. */
export interface ReceiptEvent { conversationId: string, userId: string, seq: number }
/** `message:recalled`: a message was recalled. */
export interface RecalledEvent { conversationId: string, messageId: string, seq: number }
/** `typing`: a member started or stopped typing. */
export interface TypingEvent { conversationId: string, userId: string, typing: boolean }
/** `hidden`: the user stopped showing you their presence (their setting changed to `nobody`). */
export interface PresenceEvent { userId: string, online: boolean, lastSeenAt: string | null, hidden?: true }
/**
 * `presence:snapshot`, once per socket right after it connects: the presence of my friends and
 * of the peers of my direct conversations (at most 2,000, friends first), as much as each shows
 * me (`hidden` otherwise). Later `presence` events on the same socket are newer than it.
 */
export interface PresenceSnapshotEvent { users: PresenceEvent[] }
/** An event that names one user (`friend:removed`). */
export interface UserRef { userId: string }
/** `friend:accepted`: the other person, and the request that made you friends. */
export interface FriendAcceptedEvent { userId: string, request: FriendRequest }
/** `signal`: an app-defined event relayed from another user (see `Client.signal`). */
export interface SignalEvent { fromUserId: string, name: string, payload: unknown }
/** v2, to the user's own devices: a message deleted for them. */
export interface HiddenEvent { conversationId: string, messageId: string }
/** v2, to the user's own devices: their history cleared up to `clearedSeq`. */
export interface ClearedEvent { conversationId: string, clearedSeq: number }

/**
 * Every server -> client event of the contract: event name -> payload. `M`: the server emits
 * AnyMessage (`ServerToClientEvents<AnyMessage>`); the SDK's listeners get narrowed messages.
 */
export interface ServerToClientEvents<M extends AnyMessage = Message> {
  'message:new': M
  'message:read': ReceiptEvent
  'message:delivered': ReceiptEvent
  'message:recalled': RecalledEvent
  /** v2: a message changed (edit, recall, reactions, pin): the whole message, with `recalled`. */
  'message:updated': M
  'message:hidden': HiddenEvent
  'conversation:cleared': ClearedEvent
  typing: TypingEvent
  presence: PresenceEvent
  'presence:snapshot': PresenceSnapshotEvent
  'friend:request': FriendRequest
  'friend:accepted': FriendAcceptedEvent
  'friend:removed': UserRef
  'conversation:updated': Conversation<M>
  /** v2: the caller's settings of a conversation changed (on another device). */
  'conversation:settings': SettingsEvent
  signal: SignalEvent
  /** A thread's summary changed (a reply): the root's new rev and summary. */
  'thread:updated': ThreadUpdatedEvent
  /** A member's read position in a thread moved (a channel: only the reader's devices). */
  'thread:read': ThreadReadEvent
  /** To the user's own devices: they followed or unfollowed a thread. */
  'thread:followed': ThreadFollowedEvent
  /** Sent before the server cuts a socket whose access token expired; the SDK refreshes. */
  'auth:expired': { expiresAt: string }
  /** To the author's devices: one of their scheduled messages changed (scheduled, edited, cancelled, sent, failed). */
  'scheduled:updated': ScheduledMessage
}

/** The names of ServerToClientEvents, as a value (for listeners that forward them all). */
export const SERVER_EVENTS = [
  'message:new', 'message:read', 'message:delivered', 'message:recalled', 'message:updated', 'message:hidden',
  'conversation:cleared', 'typing', 'presence', 'presence:snapshot',
  'friend:request', 'friend:accepted', 'friend:removed', 'conversation:updated', 'conversation:settings', 'signal', 'auth:expired',
  'thread:updated', 'thread:read', 'thread:followed', 'scheduled:updated'
] as const satisfies ReadonlyArray<keyof ServerToClientEvents>

// Compile-time check that SERVER_EVENTS lists every event of ServerToClientEvents.
type Missing = Exclude<keyof ServerToClientEvents, typeof SERVER_EVENTS[number]>
const _serverEventsComplete: [Missing] extends [never] ? true : Missing = true

// ---------------------------------------------------------------- threads (docs/protocol.md, "Threads")

/** A thread root's summary, on the root's message view once it has replies. */
export interface ThreadSummary {
  replyCount: number
  /** The conversation seq of the latest reply. */
  lastReplySeq: number
  lastReplyAt: string
  /** Up to three user ids, the latest replier first. */
  lastRepliers: string[]
}
/** The caller's state of one thread, with its summary (`lastReplyAt` null while it has no replies). */
export interface ThreadState extends Omit<ThreadSummary, 'lastReplyAt'> {
  conversationId: string
  rootId: string
  lastReplyAt: string | null
  following: boolean
  /** The caller's read position in the thread (a conversation seq). */
  readSeq: number
  /** Replies by others after readSeq that the caller sees. */
  unread: number
  /** Of those, the ones that mention the caller or "all". */
  unreadMentions: number
}
/** One item of `GET /conversations/:id/threads`: the state and the root message. */
export interface ThreadListItem<M extends AnyMessage = Message> extends ThreadState { root: M }
/** A page of threads, latest reply first; `nextBefore` is absent on the last page. */
export interface ThreadPage<M extends AnyMessage = Message> { threads: Array<ThreadListItem<M>>, nextBefore?: number }
/** A page of a thread's replies, with its root. */
export interface ThreadMessagePage<M extends AnyMessage = Message> { root: M, messages: M[], hasMore: boolean }
/** Which page of threads to read (`threads`): before a last-reply seq (a page's `nextBefore`), or the latest. */
export interface ThreadListOptions { before?: number, limit?: number }
/** `thread:updated`: the root's new rev and summary after a reply. */
export interface ThreadUpdatedEvent { conversationId: string, rootId: string, rev: number, thread: ThreadSummary }
/** `thread:read`: a member's read position in a thread moved to `seq`. */
export interface ThreadReadEvent { conversationId: string, rootId: string, userId: string, seq: number }
/** `thread:followed`: the user followed (true) or unfollowed a thread. */
export interface ThreadFollowedEvent { conversationId: string, rootId: string, following: boolean }

// ---------------------------------------------------------------- notifications and bots (v2 section 4)

/** A browser's PushSubscription as `subscription.toJSON()` gives it (`POST /push/subscriptions`). */
export interface PushSubscriptionInput {
  endpoint: string
  keys: { p256dh: string, auth: string }
  expirationTime?: number | null
}

/** One of my push subscriptions (`GET /push/subscriptions`). */
export interface PushSubscriptionInfo {
  id: string
  endpoint: string
  /** When the browser said the subscription expires (ISO date-time), or null. */
  expirationTime: string | null
  createdAt: string
}

/** What a push carries to the service worker (decrypted by the browser). */
export interface PushPayload {
  conversationId: string
  messageId: string
  seq: number
  sender: { id: string, displayName: string }
  /** The message's text preview; absent or null when the server sends none (PUSH_PREVIEW=false). */
  preview?: string | null
  unread: number
}

/** One of my bots (`GET /bots`): its user and its webhook's URL (never the secret). */
export interface Bot extends User {
  isBot: true
  webhook: { url: string, since: string } | null
}

/** `POST /bots`: the bot and its token, shown only this once. */
export interface BotCreated { bot: Bot, token: string }

/** `POST /bots`: the bot's username and display name. */
export interface BotInput { username: string, displayName: string }

/** `secret`: 16-256 characters; it keys the HMAC of `X-Relay-Signature`. */
export interface WebhookInput { url: string, secret: string }

/** One webhook delivery attempt (`GET /bots/:id/deliveries`), newest first. */
export interface WebhookDelivery {
  id: string
  conversationId: string
  messageId: string
  seq: number
  /** 1 for the first try. */
  attempt: number
  status: 'delivered' | 'failed' | 'gave_up'
  /** The receiver's HTTP status, or null when there was no answer (timeout, refused address). */
  responseCode: number | null
  error: string | null
  createdAt: string
}

/** Paging of the delivery log: up to `limit` (1-200, default 50) attempts before `before`. */
export interface DeliveriesOptions { limit?: number, before?: string }

// ---------------------------------------------------------------- message previews (one rule for server and clients)

export { cutPreview, messagePreview, MESSAGE_PREVIEWS, PREVIEW_MAX_CHARS } from './preview.js'
// ---------------------------------------------------------------- sign-in: two-factor (TOTP)

/** How a two-factor account may finish signing in: a current TOTP code or an unused recovery code. */
export type SecondFactorMethod = 'totp' | 'recovery'

/**
 * `POST /auth/login` for an account with two-factor on: no tokens yet, a challenge for
 * `POST /auth/login/second-factor` (single use, expires at `expiresAt`, spent after 5 wrong codes).
 */
export interface SecondFactorChallenge {
  secondFactor: { challenge: string, expiresAt: string, methods: SecondFactorMethod[] }
}

/** What `POST /auth/login` returns: a session, or a second-factor challenge. */
export type SignInResult = Session | SecondFactorChallenge

/** `GET /auth/totp`: whether two-factor sign-in is on, and how many recovery codes are unused. */
export interface TotpStatus { enabled: boolean, recoveryCodesLeft: number }

/** `POST /auth/totp/enrol`: the new secret (base32, for typing in) and its `otpauth://` URL (for the QR code). */
export interface TotpEnrolment { secret: string, otpauthUrl: string }

/** `POST /auth/totp/confirm`: the ten recovery codes, shown this once. */
export interface RecoveryCodes { recoveryCodes: string[] }

/** A registered passkey (`GET /auth/passkeys`). `deviceType` `multiDevice`: synced by its provider; `singleDevice`: one authenticator. */
export interface Passkey { id: string, name: string, createdAt: string, lastUsedAt: string | null, deviceType: string, backedUp: boolean }

/**
 * WebAuthn options as JSON, for `navigator.credentials.create()` (PublicKeyCredentialCreationOptionsJSON)
 * and `.get()` (PublicKeyCredentialRequestOptionsJSON); hand them to the browser glue whole
 * (e.g. @simplewebauthn/browser's startRegistration / startAuthentication).
 */
export interface PasskeyCreationOptions { challenge: string, rp: { id?: string, name: string }, user: { id: string, name: string, displayName: string }, [option: string]: unknown }
/** WebAuthn options as JSON for `navigator.credentials.get()` (PublicKeyCredentialRequestOptionsJSON): see {@link PasskeyCreationOptions}. */
export interface PasskeyRequestOptions { challenge: string, rpId?: string, [option: string]: unknown }
/** The browser's answer (PublicKeyCredential as JSON: RegistrationResponseJSON / AuthenticationResponseJSON), passed to the server whole. */
export interface PasskeyCredentialJSON { id: string, rawId: string, type: 'public-key', response: Record<string, unknown>, [field: string]: unknown }
// ---------------------------------------------------------------- scheduled messages

/**
 * Where a scheduled message is: `scheduled` (waiting; editable and cancellable), `queued` and
 * `sending` (its time came: no longer editable), `sent` (`messageId` is the message), `failed`
 * (`error` says why; edit it with a new `sendAt` to try again, or cancel it), `cancelled`
 * (only in the `scheduled:updated` event of a cancel: the row is gone).
 */
export type ScheduledStatus = 'scheduled' | 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled'

/** One of my scheduled messages (`GET /scheduled`, `scheduled:updated`). */
export interface ScheduledMessage {
  id: string
  conversationId: string
  /** The message is sent with this clientMsgId: a retry finds it already stored. */
  clientMsgId: string
  type: SendableMessageType
  content: MessageContent
  replyTo: string | null
  mentions: string[] | null
  /** When it is sent (ISO 8601). */
  sendAt: string
  status: ScheduledStatus
  /** The message it became, once `sent`. */
  messageId: string | null
  /** Why it could not be sent, once `failed`: the refusal a send at that moment got. */
  error: ErrorBody | null
  createdAt: string
  updatedAt: string
}

/**
 * `POST /conversations/:id/scheduled`: a message and when to send it (at least
 * `SCHEDULED_MIN_AHEAD_S`, default 10 s, and at most a year ahead). Forwards are not scheduled.
 */
export type ScheduleInput = SendExtras & SendContent & {
  /** When to send it: an ISO 8601 date-time (or a Date, in the SDK). */
  sendAt: string
  /** Made by the SDK when absent; the message is sent with it. */
  clientMsgId?: string
}

/** `PATCH /scheduled/:id`: a new content (same type), a new time, or both. */
export interface ScheduledEdit {
  content?: MessageContent
  sendAt?: string
}

/** A scheduled message is at most this far ahead (a year). */
export const SCHEDULED_MAX_AHEAD_S = 365 * 24 * 3600
/** At most this many of a user's scheduled messages wait (scheduled or failed) at once. */
export const SCHEDULED_MAX_PENDING = 100

// ---------------------------------------------------------------- OpenID Connect sign-in

/** `GET /auth/oidc/providers`: the providers to offer "Sign in with <name>" for, and whether password sign-up is on. */
export interface OidcProviders { providers: Array<{ id: string, name: string }>, passwordSignUp: boolean }

/** `GET /auth/oidc/identities`: my linked providers, and whether I have a password (else the last link cannot go). */
export interface OidcIdentities { identities: Array<{ provider: string, name: string, linkedAt: string }>, hasPassword: boolean }
