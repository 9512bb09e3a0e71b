import { forbidden, validation } from '../../lib/errors.js'
import { membersOf } from '../../delivery/index.js'
import type { ConversationsDeps } from '../conversations/index.js'
import type { ChangeStream } from './change-stream.js'
import { RECALL_SQL } from './sql.js'
import { txSql } from '../../db/tx-sql.js'

/** Recall: a change of the message through the change stream. */
export function createRecall (deps: Pick<ConversationsDeps, 'limits' | 'delivery'>, changes: ChangeStream) {
  const { limits } = deps
  return {
    /**
     * The sender withdraws a message within the recall window: content is erased (and the pin
     * dropped), the row and its seq stay; a change like any other (rev, `message:updated`),
     * plus `message:recalled` (the contract's recall event, which clients that do not follow
     * `message:updated` act on). Recalling an already recalled message succeeds
     * and tells nobody.
     */
    async recall (userId: string, messageId: string, conversationId?: string): Promise<void> {
      const { changed, target, memberIds, blindIds } = await changes.change(userId, messageId, conversationId, async (tx, t) => {
        if (t.type === 'system') throw validation('System messages cannot be recalled')
        if (t.sender_id !== userId) throw forbidden('Only the sender can recall a message')
        if (t.recalled_at !== null) return { changed: false, result: undefined }
        if (t.age_s > limits.recallWindowS) throw forbidden(`Messages can only be recalled within ${limits.recallWindowS} s`)
        await txSql(tx).execute(RECALL_SQL, [messageId])
        return { changed: true, result: undefined }
      })
      if (changed) deps.delivery.deliver({ event: 'message:recalled', payload: { conversationId: target.conversation_id, messageId, seq: target.seq }, audience: membersOf({ id: target.conversation_id, type: target.conversation_type }, memberIds, blindIds) })
    }
  }
}
