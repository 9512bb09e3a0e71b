import type { Redis } from 'ioredis'
import type { Server, Socket } from 'socket.io'
import type { Static, TSchema } from 'typebox'
import type { AnyMessage, ServerToClientEvents as Contract } from '@relay-im/client/protocol'

/** Server -> client event names and their payloads: the protocol module's, shared with the SDK (messages not narrowed on `type`). */
type ServerToClientEvents = Contract<AnyMessage>
export type ServerEvent = keyof ServerToClientEvents
export type ServerPayload<E extends ServerEvent> = ServerToClientEvents[E]
/** Live delivery to every device of each user (any node), typed by event name. */
export type Publish = <E extends ServerEvent>(userIds: readonly string[], event: E, payload: ServerPayload<E>) => void
/** The same for one user. */
export type PublishToUser = <E extends ServerEvent>(userId: string, event: E, payload: ServerPayload<E>) => void

/** What the handshake stores on a socket (see admission.ts and sessions.ts). */
export interface SocketData {
  userId: string
  /** Epoch ms at which the socket's access token expires. */
  expiresAt: number
  /** Epoch ms at which the socket's access token was issued. */
  issuedAt: number
  /** Rooms besides the user room, joined at connect (see Realtime.roomsAtConnect). */
  rooms?: string[]
}
/** socket.io's emit signatures, from the protocol's payload map. */
export type EmitEvents = { [E in ServerEvent]: (payload: ServerPayload<E>) => void }
/** A socket of this server: typed emits and data; client -> server events go through the dispatcher. */
type ListenEvents = Record<string, (...args: any[]) => void>
export type AppSocket = Socket<ListenEvents, EmitEvents, Record<string, never>, SocketData>
/** The Socket.IO server with the same typing. */
export type AppServer = Server<ListenEvents, EmitEvents, Record<string, never>, SocketData>

/** What a socket event handler knows about the caller. */
export interface SocketContext {
  userId: string
  socketId: string
  /** Emits to this socket only. */
  emit: PublishToSocket
}

/** Emits to one socket. */
export type PublishToSocket = <E extends ServerEvent>(event: E, payload: ServerPayload<E>) => void

export interface EventDefinition<S extends TSchema = TSchema> {
  schema: S
  handler: (ctx: SocketContext, payload: Static<S>) => Promise<unknown>
}

/** Builds a typed event definition (keeps payload inference from the schema). */
export const defineEvent = <S extends TSchema>(schema: S, handler: EventDefinition<S>['handler']): EventDefinition<S> => ({ schema, handler })

export type Ack = { ok: true, data: unknown } | { ok: false, error: { code: string, message: string } }

export type ConnectionHook = (ctx: SocketContext) => Promise<void> | void

/**
 * The small facade feature modules use for live delivery. Nothing else imports socket.io.
 * Emits go to user rooms (`user:<id>`), so every device of a user receives them, on any node.
 */
/** Told of every answered event: its name (a registered one, else 'unknown'), 'ok' or the error code, and the seconds from receipt to ack. */
export type EventObserver = (event: string, outcome: string, seconds: number) => void

export interface Realtime {
  toUser: PublishToUser
  toUsers: Publish
  /** One emit to a room every member's sockets joined (a channel's): one fan-out, not one per member. */
  toRoom: PublishToRoom
  /** Every socket of these users, on every node (through the adapter), joins / leaves the room. */
  joinRoom: (userIds: readonly string[], room: string) => void
  leaveRoom: (userIds: readonly string[], room: string) => void
  /**
   * Rooms a connecting socket joins before its `connect` completes (with its user room), so
   * nothing emitted to them after the client saw `connect` is missed. Modules register a
   * provider (e.g. the channels a user is in); a failing provider refuses the connection.
   */
  roomsAtConnect: (fn: (userId: string) => Promise<string[]>) => void
  /** Registers client -> server events; payloads are validated before the handler runs. */
  handle: (events: Record<string, EventDefinition<any>>) => void
  /** Names of the registered client -> server events (read-only; tests fuzz every one). */
  eventNames: () => string[]
  /** The payload schema of a registered event (read-only; tests check every string field has a text kind). */
  eventSchema: (name: string) => TSchema | undefined
  /**
   * Called after a socket joined its user room / after it left. A socket's disconnect hooks
   * start only once its connect hooks have finished, and shutdown waits for both.
   */
  onConnect: (fn: ConnectionHook) => void
  onDisconnect: (fn: ConnectionHook) => void
  /** Observes every answered event (metrics). */
  onEventAnswered: (fn: EventObserver) => void
  /** Disconnects every socket of a user (logout everywhere, deleted account). */
  disconnectUser: (userId: string) => void
  /**
   * Ends a user's sessions on every node (password change): access tokens of the user issued
   * before `atMs` stop verifying and the sockets that authenticated with one are disconnected.
   * Other nodes learn it over Redis (channel SESSIONS_CHANNEL) and reload the cutoffs from
   * the database whenever their subscription reconnects, so a lost message is caught up.
   */
  endSessions: (userId: string, atMs: number) => Promise<void>
  /** Local sockets of a user on this node. */
  localSocketCount: (userId: string) => number
  /** Present when REDIS_URL is set. */
  redis?: Redis
  redisPing?: () => Promise<boolean>
  stats: DispatchStats
}

/** Counters of the dispatcher (tests and metrics). */
export interface DispatchStats { unknownEvents: number, rateLimited: number, handlerErrors: number }

export const userRoom = (userId: string): string => `user:${userId}`
/** The room of a channel: every socket of every member joins it. */
export const channelRoom = (channelId: string): string => `channel:${channelId}`
/** Emits to one room, typed by event name. */
/** `except`: users whose sockets in the room are left out (their user rooms are excepted). */
export type PublishToRoom = <E extends ServerEvent>(room: string, event: E, payload: ServerPayload<E>, except?: readonly string[]) => void
