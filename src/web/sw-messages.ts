/** What the service worker (sw.ts) posts to an open page: switch to this conversation. */
export const OPEN_MESSAGE = 'relay:open-conversation'

export interface OpenMessage { type: typeof OPEN_MESSAGE, conversationId?: string }
