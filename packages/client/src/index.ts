/**
 * @relay-im/client: the typed client for a Relay IM server (socket.io-client + fetch only).
 * The guide is the package README; the wire contract is `@relay-im/client/protocol`; the
 * state models are `@relay-im/client/state`, offline storage `@relay-im/client/offline`.
 */
import { Client, type ClientOptions } from './client.js'

export { Client, type ClientOptions } from './client.js'
export { RestClient, MUTE_FOREVER, type NativeFile, type RestOptions, type TokenProvider } from './rest.js'
export type { CrossTabOptions } from './cross-tab.js'
export { ClientError, SecondFactorRequiredError } from './errors.js'
export { TYPING_IDLE_MS, TYPING_THROTTLE_MS } from './typing.js'
export { uuid } from './util.js'
export { PROTOCOL_VERSION, ERROR_STATUS } from './protocol.js'
export type * from './protocol.js'
export type * from './types.js'

/** Creates a client; nothing connects until `connect()`. */
export function createClient (options: ClientOptions): Client {
  return new Client(options)
}
