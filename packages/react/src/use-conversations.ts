import type { Client } from '@relay-im/client'
import { ConversationList, type ConversationListOptions, type ConversationListSnapshot } from '@relay-im/client/state'
import { useModel } from './use-model.js'

const EMPTY: ConversationListSnapshot = Object.freeze({ conversations: [], loaded: false, error: undefined })

export interface UseConversations extends ConversationListSnapshot {
  /** Loads the list again (it also reloads by itself after a reconnect). */
  reload: () => Promise<void>
}

/**
 * The signed-in user's conversations, pinned first then by newest activity, with last
 * message, unread and mentions kept current (a ConversationList for the component's life).
 */
export function useConversations (client: Client, options: ConversationListOptions = {}): UseConversations {
  const { archived, pageSize } = options
  const { model, snapshot } = useModel(() => {
    const list = new ConversationList(client, { archived, pageSize })
    void list.load()
    return list
  }, EMPTY, [client, archived, pageSize])
  return { ...snapshot, reload: async () => { await model?.load() } }
}
