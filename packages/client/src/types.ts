/** The SDK's own types (its events, statuses and codes); the wire types are in protocol.ts. */
import type { ErrorCode, ServerToClientEvents, ThreadState, Tokens } from './protocol.js'

/**
 * Codes the SDK itself produces, beside the contract's: TIMEOUT, NETWORK, CLOSED and
 * INCOMPATIBLE_SERVER (the server states an older protocol version than this SDK speaks) and
 * SECOND_FACTOR_REQUIRED (`login()` of a two-factor account: a {@link SecondFactorRequiredError}).
 */
export type ClientErrorCode = ErrorCode | 'TIMEOUT' | 'NETWORK' | 'CLOSED' | 'INCOMPATIBLE_SERVER' | 'SECOND_FACTOR_REQUIRED'

/** Where the connection stands; `Client.status`, and the `status` event on each change. */
export type ConnectionStatus = 'offline' | 'connecting' | 'online' | 'reconnecting'

/** The `disconnect` event. */
export interface DisconnectInfo {
  /** socket.io's reason: 'io client disconnect', 'io server disconnect', 'transport close', ... */
  reason: string
  /** Whether the SDK is trying to get back online. */
  reconnecting: boolean
}

/** The `synced` event. */
export interface SyncedInfo {
  /** Missed messages emitted as message:new by this catch-up. */
  messages: number
}

/** The events the SDK itself emits, beside the server's. */
export interface SdkEvents {
  status: ConnectionStatus
  /** Tokens changed (login, register, refresh): persist them to resume later. */
  tokens: Tokens
  disconnect: DisconnectInfo
  /** A catch-up `sync` after (re)connecting finished. */
  synced: SyncedInfo
  /** From a catch-up `sync`: my state of a thread that changed while this device was away (a reply in one I follow, my follow or read elsewhere). */
  'thread:state': ThreadState
  /** Something the app should know about and no promise reports (e.g. the session ended). */
  error: Error
}

/** Every event a Client emits: the server's and the SDK's own. */
export type ClientEvents = ServerToClientEvents & SdkEvents
