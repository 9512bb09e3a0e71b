import { validation } from '../../lib/errors.js'
import { type ConversationsDeps, MESSAGE_COLUMNS, toMessage, type MessageRow, type MessageView, visibleTo } from '../conversations/index.js'
import { assertMember } from './membership-checks.js'

/** Only the caller's visible messages (`m` is their membership row): the visibility rule. */
const VISIBLE = visibleTo('x', 'm')

const HISTORY_BEFORE_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.conversation_id = $1::uuid AND x.seq < $3::int AND ${VISIBLE}
ORDER BY x.seq DESC LIMIT $4::int`

const HISTORY_AFTER_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.conversation_id = $1::uuid AND x.seq > $3::int AND ${VISIBLE}
ORDER BY x.seq ASC LIMIT $4::int`

/** A channel's history for a non-member (public; nothing is hidden or cleared for them). */
const PUBLIC_HISTORY_BEFORE_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.conversation_id = $1::uuid AND x.seq < $2::int
ORDER BY x.seq DESC LIMIT $3::int`

const PUBLIC_HISTORY_AFTER_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.conversation_id = $1::uuid AND x.seq > $2::int
ORDER BY x.seq ASC LIMIT $3::int`

/** History pages: a member's visible messages, or a public channel's for anyone. */
export function createHistory (deps: Pick<ConversationsDeps, 'prisma' | 'sql'>) {
  const { prisma, sql } = deps
  return {
    /**
     * History page. `before`: older than that seq, newest first. `after`: newer than that
     * seq, oldest first. Neither: the latest messages, newest first. Messages deleted or
     * cleared for the caller are left out.
     */
    async history (userId: string, conversationId: string, opts: { before?: number, after?: number, limit?: number }): Promise<{ messages: MessageView[], hasMore: boolean }> {
      if (opts.before !== undefined && opts.after !== undefined) throw validation('Give either before or after, not both')
      const limit = opts.limit ?? 50
      // Prepared statements (planned once per connection); "latest" is `before` the largest int.
      const rows = opts.after !== undefined
        ? await sql.query<MessageRow>(HISTORY_AFTER_SQL, [conversationId, userId, opts.after, limit + 1], 'history_after')
        : await sql.query<MessageRow>(HISTORY_BEFORE_SQL, [conversationId, userId, opts.before ?? 2147483647, limit + 1], 'history_before')
      if (rows.length === 0) {
        try {
          await assertMember(prisma, userId, conversationId)
        } catch (err) {
          // A channel's history is public: a non-member reads it as it is (nothing hidden or cleared).
          const type = (await prisma.conversation.findUnique({ where: { id: conversationId }, select: { type: true } }))?.type
          if (type !== 'channel') throw err
          const open = opts.after !== undefined
            ? await sql.query<MessageRow>(PUBLIC_HISTORY_AFTER_SQL, [conversationId, opts.after, limit + 1], 'public_history_after')
            : await sql.query<MessageRow>(PUBLIC_HISTORY_BEFORE_SQL, [conversationId, opts.before ?? 2147483647, limit + 1], 'public_history_before')
          return { messages: open.slice(0, limit).map(toMessage), hasMore: open.length > limit }
        }
      }
      return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit }
    }
  }
}
