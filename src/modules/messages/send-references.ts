import { conflict, Errors, forbidden, notFound, validation } from '../../lib/errors.js'
import { type ConversationsDeps, requireRole, type ForwardedFromView, type MessageRow, type StoredReplyTo, type MessageType, visibleTo } from '../conversations/index.js'

/** The message a reply or forward names, as VISIBLE_MESSAGE_SQL reads it. */
type SourceRow = Pick<MessageRow, 'id' | 'conversation_id' | 'seq' | 'sender_id' | 'type' | 'content' | 'forwarded_from' | 'display_name'> & { recalled: boolean }

/** A message the caller can see: a member of its conversation, not deleted or cleared for them. */
const VISIBLE_MESSAGE_SQL = `
SELECT x.id, x.conversation_id, x.seq, x.sender_id, x.type::text AS type, x.content, x.recalled_at IS NOT NULL AS recalled,
  x.forwarded_from, u.display_name
FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.id = $1::uuid AND ${visibleTo('x', 'm')}`

/**
 * The checks and snapshots of a send's references (reply, forward, mentions). They run before the send
 * statement, only for sends that use them, so plain sends pay nothing.
 */
export function createSendReferences (deps: ConversationsDeps) {
  const { sql } = deps

  async function visible (userId: string, messageId: string): Promise<SourceRow | undefined> {
    return (await sql.query<SourceRow>(VISIBLE_MESSAGE_SQL, [messageId, userId], 'visible_message'))[0]
  }

  return {
    /** `replyTo`: a message the sender can see (NOT_FOUND) in the same conversation (VALIDATION). */
    async replySnapshot (senderId: string, conversationId: string, messageId: string): Promise<{ stored: StoredReplyTo, quote: unknown, recalled: boolean }> {
      const m = await visible(senderId, messageId)
      if (m === undefined) throw notFound('Message replied to not found')
      if (m.conversation_id !== conversationId) throw validation('replyTo: the message is in another conversation')
      // Only the reference is stored: the quote is read from the message whenever it is served.
      return {
        stored: { id: m.id, seq: m.seq, senderId: m.sender_id, type: m.type },
        quote: m.recalled ? null : m.content,
        recalled: m.recalled
      }
    },

    /**
     * `forwardOf`: a message the sender can see (NOT_FOUND), not recalled (CONFLICT). A
     * forward of a forward keeps naming the original author.
     */
    async forwardSource (senderId: string, messageId: string): Promise<{ type: MessageType, content: unknown, forwardedFrom: ForwardedFromView }> {
      const m = await visible(senderId, messageId)
      if (m === undefined) throw notFound('Message to forward not found')
      if (m.type === 'system') throw validation('System messages cannot be forwarded')
      // a forward would be a new live poll with someone else's question: send a new poll instead
      if (m.type === 'poll') throw validation('Polls cannot be forwarded')
      if (m.recalled) throw conflict('A recalled message cannot be forwarded')
      return { type: m.type, content: m.content, forwardedFrom: m.forwarded_from ?? { messageId: m.id, senderId: m.sender_id, senderName: m.display_name } }
    },

    /**
     * `mentions`: members of the conversation (VALIDATION), or exactly ["all"], which only a
     * group's owner or admins may use (FORBIDDEN). A sender who is not a member: NOT_FOUND.
     */
    async checkMentions (senderId: string, conversationId: string, mentions: string[]): Promise<string[]> {
      const rows = await sql.query<{ type: 'direct' | 'group', role: string | null, members: string[] }>(`
        SELECT c.type::text AS type, (SELECT role::text FROM conversation_members WHERE conversation_id = c.id AND user_id = $2::uuid) AS role,
          ARRAY(SELECT user_id::text FROM conversation_members WHERE conversation_id = c.id AND user_id = ANY($3::uuid[])) AS members
        FROM conversations c WHERE c.id = $1::uuid`, [conversationId, senderId, mentions.filter((id) => id !== 'all')], 'mention_check')
      const row = rows[0]
      if (row === undefined || row.role === null) throw Errors.notMember()
      if (mentions.includes('all')) {
        if (mentions.length > 1) throw validation('mentions: "all" stands alone')
        if (row.type === 'direct') throw forbidden('Only a group\'s owner or admins can mention all')
        requireRole(row.role, 'mentionAll')
        return ['all']
      }
      const ids = mentions
      const members = new Set(row.members)
      const outsider = ids.find((id) => !members.has(id))
      if (outsider !== undefined) throw validation(`mentions: ${outsider} is not a member of the conversation`)
      return ids
    }
  }
}
