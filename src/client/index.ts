/**
 * # Client SDK
 *
 * A typed client for the IM server, for Node and browsers (socket.io-client + fetch only).
 *
 * ```ts
 * import { createClient, ClientError } from 'relay-im/client'
 *
 * const client = createClient({ url: 'https://chat.example.com', credentials: { username, password } })
 * client.on('tokens', (t) => storage.save(t))             // refresh tokens rotate: persist them
 * client.on('status', (s) => render(s))                   // offline | connecting | online | reconnecting
 * client.on('message:new', (m) => show(m))                // live and caught-up messages, in seq order, once
 * await client.connect()                                  // signs in, then opens the socket
 *
 * const friend = (await client.friends())[0]!
 * const ack = await client.send({ toUserId: friend.user.id, type: 'text', content: 'hi' })
 * await client.markRead(ack.conversationId, ack.seq)
 * client.typing(ack.conversationId)                       // call on each keystroke; throttled
 * try {
 *   await client.send({ conversationId: ack.conversationId, type: 'text', content: '' })
 * } catch (err) {
 *   if (err instanceof ClientError) console.log(err.code, err.status) // e.g. VALIDATION 400
 * }
 * client.disconnect()                                     // no reconnect until connect()
 * ```
 *
 * - Resume a session with `createClient({ url, token, refreshToken })`; an expired access
 *   token is refreshed on its own (handshake "UNAUTHORIZED" or `auth:expired`) and the new
 *   pair is announced with `tokens`.
 * - `send` queues while offline and sends in order per conversation, one clientMsgId per
 *   message through every retry; it rejects with TIMEOUT after `sendTimeoutMs` (30 s) or
 *   with the server's code (no retry, except RATE_LIMITED / INTERNAL). Order is kept per
 *   target as given: use either `conversationId` or `toUserId` for one conversation, not both.
 * - After each reconnect the client runs `sync` from its per-conversation cursors and emits
 *   what was missed as `message:new`. Persist `getCursors()` and seed them with `setCursor`
 *   to catch up across restarts; a conversation is tracked from the first message seen.
 * - A server-side kick ('io server disconnect', e.g. logout everywhere, or a password change
 *   on any device) ends the session: status goes `offline` and the client stays off.
 * - `conversations()` returns one page; `conversationsPage({ limit, cursor })` also gives
 *   `nextCursor` (the `x-next-cursor` header), absent on the last page.
 */
import { Client, type ClientOptions } from './client.js'

export { Client, type ClientOptions } from './client.js'
export { RestClient, type RestOptions } from './rest.js'
export { ClientError } from './errors.js'
export { TYPING_IDLE_MS, TYPING_THROTTLE_MS } from './typing.js'
export type * from './types.js'

/** Creates a client; nothing connects until `connect()`. */
export function createClient (options: ClientOptions): Client {
  return new Client(options)
}
