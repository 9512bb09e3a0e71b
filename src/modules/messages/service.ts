import type { ConversationsDeps } from '../conversations/index.js'
import type { ChangeStream } from './change-stream.js'
import { createHistory } from './history.js'
import { createReceipts } from './receipts.js'
import { createRecall } from './recall.js'
import { createSend } from './send.js'
import { createSync } from './sync.js'
import type { Threads } from './threads.js'
import type { BeforeSendHook } from './before-send.js'

export type { SendInput, SendResult } from './send.js'
export type { SyncResult } from './sync.js'

/** Sending, history, catch-up sync, read/delivered cursors and recall. */
export function createMessageService (deps: ConversationsDeps, changes: ChangeStream, threads: Threads, beforeSend?: BeforeSendHook) {
  return {
    ...createSend(deps, threads, beforeSend),
    ...createHistory(deps),
    ...createSync(deps, threads),
    ...createReceipts(deps),
    ...createRecall(deps, changes)
  }
}

export type MessageService = ReturnType<typeof createMessageService>
