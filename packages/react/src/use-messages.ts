import type { Client } from '@relay-im/client'
import { MessageList, type MessageListOptions, type MessageListSnapshot } from '@relay-im/client/state'
import { useModel } from './use-model.js'

const EMPTY: MessageListSnapshot = Object.freeze({ messages: [], hasMore: true, loading: false, error: undefined })

/** What useMessages returns: the list's snapshot and a way to load older messages. */
export interface UseMessages extends MessageListSnapshot {
  /** Loads the page before the oldest shown message; resolves with whether older ones remain. */
  loadOlder: () => Promise<boolean>
}

/**
 * One conversation's messages, oldest first: the newest page at once, older pages with
 * `loadOlder()`, live messages and changes applied as they come (a MessageList for as long
 * as the component shows this conversation). `conversationId` undefined: no conversation.
 */
export function useMessages (client: Client, conversationId: string | undefined, options: MessageListOptions = {}): UseMessages {
  const { pageSize } = options
  const { model, snapshot } = useModel(() => {
    if (conversationId === undefined) return undefined
    const list = new MessageList(client, conversationId, { pageSize })
    void list.loadOlder()
    return list
  }, EMPTY, [client, conversationId, pageSize])
  return { ...snapshot, loadOlder: async () => await (model?.loadOlder() ?? Promise.resolve(false)) }
}
