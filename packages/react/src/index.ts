/**
 * @relay-im/react: React hooks on the state models of `@relay-im/client/state`. Each hook
 * takes a `Client` the app made and connected; the guide is the package README.
 */
export { useConversations, type UseConversations } from './use-conversations.js'
export { useMessages, type UseMessages } from './use-messages.js'
export { useConnectionState } from './use-connection-state.js'
