/**
 * Hand-written types of the wire contract (docs/protocol.md). The SDK is bundled for
 * browsers, so nothing here imports server code.
 */

/** Error codes of REST bodies and socket acks. */
export type ErrorCode =
  | 'VALIDATION' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT'
  | 'RATE_LIMITED' | 'PAYLOAD_TOO_LARGE' | 'INTERNAL'

/** Codes the SDK itself produces. */
export type ClientErrorCode = ErrorCode | 'TIMEOUT' | 'NETWORK' | 'CLOSED'

export interface ErrorBody { code: ErrorCode, message: string, retryAfterMs?: number }

/** Socket acknowledgement. */
export type Ack<T> = { ok: true, data: T } | { ok: false, error: ErrorBody }

// ---------------------------------------------------------------- users and auth

export interface User {
  id: string
  username: string
  displayName: string
  avatarUrl: string | null
  createdAt: string
}

export interface PresenceState { online: boolean, lastSeenAt: string | null }

export interface UserWithPresence extends User { presence: PresenceState }

export interface Tokens { accessToken: string, refreshToken: string }

export interface Session extends Tokens { user: User }

export interface Credentials { username: string, password: string }

export interface RegisterInput extends Credentials {
  displayName?: string
  avatarUrl?: string | null
}

export interface ProfileUpdate {
  displayName?: string
  avatarUrl?: string | null
}

// ---------------------------------------------------------------- friends

export type FriendRequestStatus = 'pending' | 'accepted' | 'declined' | 'cancelled'

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

export interface Friend { user: User, since: string, presence: PresenceState }

export interface Relation { isFriend: boolean, since?: string, blocked: boolean, blockedBy: boolean }

export interface Block { userId: string, createdAt: string }

export interface BlockedUser { user: User, createdAt: string }

// ---------------------------------------------------------------- conversations and messages

export type MessageType = 'text' | 'image' | 'file' | 'custom'

/** Content of an image or file message. */
export interface FileContent {
  url: string
  name: string
  size: number
  mime: string
  width?: number
  height?: number
}

/** text: a string; image/file: FileContent; custom: any JSON object. null once recalled. */
export type MessageContent = string | FileContent | Record<string, unknown> | null

export interface Sender {
  id: string
  username: string
  displayName: string
  avatarUrl: string | null
}

export interface Message {
  id: string
  conversationId: string
  seq: number
  senderId: string
  sender: Sender
  clientMsgId: string
  type: MessageType
  content: MessageContent
  createdAt: string
  /** History and sync only (message:new is always a fresh message). */
  recalled?: boolean
  recalledAt?: string | null
}

export interface ConversationMember extends Sender {
  role: 'owner' | 'admin' | 'member'
  joinedAt: string
}

export interface Conversation {
  id: string
  type: 'direct' | 'group'
  /** Groups only. */
  name?: string
  ownerId?: string | null
  members: ConversationMember[]
  /** Direct only: the other user, with presence. */
  peer?: Sender & { presence: PresenceState }
  lastMessage: Message | null
  lastSeq: number
  /** The caller's own positions; absent in `conversation:updated` (shared by all members). */
  readSeq?: number
  deliveredSeq?: number
  unread?: number
  createdAt: string
  lastActivityAt: string
}

export interface HistoryPage { messages: Message[], hasMore: boolean }

export interface HistoryOptions {
  /** Messages with seq < before, newest first. */
  before?: number
  /** Messages with seq > after, oldest first. */
  after?: number
  limit?: number
}

export interface ListOptions { limit?: number, cursor?: string }
/** One page of GET /conversations; `nextCursor` (the x-next-cursor header) is absent on the last page. */
export interface ConversationPage { conversations: Conversation[], nextCursor?: string }

// ---------------------------------------------------------------- socket: client -> server

export type SendTarget = { conversationId: string, toUserId?: undefined } | { toUserId: string, conversationId?: undefined }

export type SendInput = SendTarget & {
  type: MessageType
  content: MessageContent
  /** Made by the SDK when absent; keep it to retry the same message later. */
  clientMsgId?: string
}

export interface SendAck { id: string, conversationId: string, seq: number, clientMsgId: string, createdAt: string }
export interface ReadAck { readSeq: number }
export interface DeliveredAck { deliveredSeq: number }
export interface SyncRequest { cursors: Record<string, number>, limit?: number }
export interface SyncResult { messages: Message[], hasMore: boolean }
export interface AuthRefreshAck { expiresAt: string | number }

// ---------------------------------------------------------------- socket: server -> client

export interface ReceiptEvent { conversationId: string, userId: string, seq: number }
export interface RecalledEvent { conversationId: string, messageId: string, seq: number }
export interface TypingEvent { conversationId: string, userId: string, typing: boolean }
export interface PresenceEvent { userId: string, online: boolean, lastSeenAt: string | null }
export interface UserRef { userId: string }
export interface SignalEvent { fromUserId: string, name: string, payload: unknown }

/** Every server -> client event of the contract. */
export interface ServerEvents {
  'message:new': Message
  'message:read': ReceiptEvent
  'message:delivered': ReceiptEvent
  'message:recalled': RecalledEvent
  typing: TypingEvent
  presence: PresenceEvent
  'friend:request': FriendRequest
  'friend:accepted': UserRef
  'friend:removed': UserRef
  'conversation:updated': Conversation
  signal: SignalEvent
  /** Sent before the server cuts a socket whose access token expired; the SDK refreshes. */
  'auth:expired': { expiresAt: string }
}

// ---------------------------------------------------------------- the SDK's own events

export type ConnectionStatus = 'offline' | 'connecting' | 'online' | 'reconnecting'

export interface DisconnectInfo {
  /** socket.io's reason: 'io client disconnect', 'io server disconnect', 'transport close', ... */
  reason: string
  /** Whether the SDK is trying to get back online. */
  reconnecting: boolean
}

export interface SyncedInfo {
  /** Missed messages emitted as message:new by this catch-up. */
  messages: number
}

export interface SdkEvents {
  status: ConnectionStatus
  /** Tokens changed (login, register, refresh): persist them to resume later. */
  tokens: Tokens
  disconnect: DisconnectInfo
  /** A catch-up `sync` after (re)connecting finished. */
  synced: SyncedInfo
  /** Something the app should know about and no promise reports (e.g. the session ended). */
  error: Error
}

export type ClientEvents = ServerEvents & SdkEvents
