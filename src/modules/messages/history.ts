import { validation } from '../../lib/errors.js'
import { type ConversationsDeps, toMessage, type MessageRow, type MessageView } from '../conversations/index.js'
import { HISTORY_AFTER_SQL, HISTORY_BEFORE_SQL, HISTORY_START_SQL, PUBLIC_HISTORY_AFTER_SQL, PUBLIC_HISTORY_BEFORE_SQL } from './sql.js'
import { assertMember, publicReadRefusal } from './membership-checks.js'

/** A page row: the message and where the conversation's history starts (the same in every row). */
type PageRow = MessageRow & { history_start_seq: number }

/** History pages: a member's visible messages, or a public channel's for anyone. */
export function createHistory (deps: Pick<ConversationsDeps, 'prisma' | 'sql'>) {
  const { prisma, sql } = deps
  /**
   * Retention: where the conversation's history starts. A page's rows carry it (read in the
   * page's own statement); an empty page reads it after (a purge meanwhile only moves it up).
   */
  const historyStart = async (conversationId: string, rows: PageRow[]): Promise<number> =>
    rows[0]?.history_start_seq ??
      (await sql.query<{ history_start_seq: number }>(HISTORY_START_SQL, [conversationId], 'history_start'))[0]?.history_start_seq ?? 0
  return {
    /**
     * History page. `before`: older than that seq, newest first. `after`: newer than that
     * seq, oldest first. Neither: the latest messages, newest first. Messages deleted or
     * cleared for the caller are left out.
     */
    async history (userId: string, conversationId: string, opts: { before?: number, after?: number, limit?: number }): Promise<{ messages: MessageView[], hasMore: boolean, historyStartsAt: number }> {
      if (opts.before !== undefined && opts.after !== undefined) throw validation('Give either before or after, not both')
      const limit = opts.limit ?? 50
      // Prepared statements (planned once per connection); "latest" is `before` the largest int.
      const rows = opts.after !== undefined
        ? await sql.query<PageRow>(HISTORY_AFTER_SQL, [conversationId, userId, opts.after, limit + 1], 'history_after')
        : await sql.query<PageRow>(HISTORY_BEFORE_SQL, [conversationId, userId, opts.before ?? 2147483647, limit + 1], 'history_before')
      if (rows.length === 0) {
        try {
          await assertMember(prisma, userId, conversationId)
        } catch {
          // A channel's history is public: a non-member reads it as it is (nothing hidden or
          // cleared), unless banned from it (the same rule as its threads: publicReadRefusal).
          const refusal = await publicReadRefusal(sql, userId, conversationId)
          if (refusal !== undefined) throw refusal
          const open = opts.after !== undefined
            ? await sql.query<PageRow>(PUBLIC_HISTORY_AFTER_SQL, [conversationId, opts.after, limit + 1], 'public_history_after')
            : await sql.query<PageRow>(PUBLIC_HISTORY_BEFORE_SQL, [conversationId, opts.before ?? 2147483647, limit + 1], 'public_history_before')
          return { messages: open.slice(0, limit).map(toMessage), hasMore: open.length > limit, historyStartsAt: await historyStart(conversationId, open) }
        }
      }
      return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit, historyStartsAt: await historyStart(conversationId, rows) }
    }
  }
}
