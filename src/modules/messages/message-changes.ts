import { randomUUID } from 'node:crypto'
import { conflict, Errors, forbidden, validation } from '../../lib/errors.js'
import { membersOf } from '../../delivery/index.js'
import { messageNotFound, type ChangeStream } from './change-stream.js'
import { checkContent } from './content.js'
import { type ConversationsDeps, requireRole, audienceOf, blindTo, visibleTo, MESSAGE_COLUMNS, toMessage, type MessageRow, type MessageView, type ReactionView } from '../conversations/index.js'
import { checkEmoji, EMOJIS_PER_MEMBER, EMOJIS_PER_MESSAGE } from './reactions.js'
import { createSystemPublisher, writeSystemMessage } from './system-messages.js'

const systemImmutable = (what: string) => validation(`System messages cannot be ${what}`)

/** Pinned messages one conversation may have. */
export const PINS_MAX = 50

const PINS_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.conversation_id = $1::uuid AND x.pinned_at IS NOT NULL AND ${visibleTo('x', 'm')}
ORDER BY x.pinned_at DESC, x.seq DESC`

interface ReactRow { recalled: boolean, system: boolean, mine: boolean, present: boolean, changed: boolean, conversation_id: string, conversation_type: string, member_ids: string[] | null, blind_ids: string[] | null }

/**
 * The message under its conversation's row lock (the lock sends and every change take, so
 * revs commit in order), visible to the caller ($2), in conversation $4 when given.
 */
const REACTION_TARGET = `
lock AS (
  SELECT c.id, c.type FROM conversations c WHERE c.id = (SELECT conversation_id FROM messages WHERE id = $1::uuid) FOR UPDATE
), t AS (
  SELECT x.id, x.conversation_id, x.seq, lock.type::text AS conversation_type, x.recalled_at IS NOT NULL AS recalled, x.type::text = 'system' AS system FROM messages x
  JOIN lock ON lock.id = x.conversation_id
  JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
  WHERE x.id = $1::uuid AND ($4::uuid IS NULL OR x.conversation_id = $4::uuid) AND ${visibleTo('x', 'm')}
)`

/** Who is told of the change (the visibility rule): members who see it, or in a channel those of its room who do not. */
const AUDIENCE = `CASE WHEN EXISTS (SELECT 1 FROM s) AND t.conversation_type <> 'channel' THEN ${audienceOf('t')} END AS member_ids,
  CASE WHEN EXISTS (SELECT 1 FROM s) AND t.conversation_type = 'channel' THEN ${blindTo('t')} END AS blind_ids`

/** Rev bump and member list once `changed` (a CTE named so) returned a row. */
const REACTION_BUMP = `
c AS (
  UPDATE conversations cv SET last_rev = cv.last_rev + 1 FROM t WHERE cv.id = t.conversation_id AND EXISTS (SELECT 1 FROM changed) RETURNING cv.last_rev
), s AS (
  UPDATE messages x SET rev = c.last_rev FROM c WHERE x.id = $1::uuid RETURNING x.id
)`

/**
 * Fast path of an add, for an emoji the message already carries: adding it cannot raise the
 * number of distinct emojis, so no limit check is needed. "Already carries" must hold at the
 * commit, not only in the statement's snapshot (taken before the lock was granted): a row of
 * that emoji is locked FOR KEY SHARE (a concurrent removal of it waits for this commit; one
 * that committed meanwhile makes the row drop out). The lock is taken on rows joined with
 * `t`, so after the conversation's lock, in the same order as every other change.
 * The member's own limit ($6) is counted by `member_reaction_count` (a fresh snapshot, after
 * the lock: see its migration), so it holds when one member's adds race.
 * `present` false, or nothing added that was not the caller's already: the caller takes the
 * strict path (`addFirst`, in a transaction), which tells a full member from a no-op.
 */
const REACTION_ADD_SQL = `
WITH ${REACTION_TARGET}, proof AS (
  SELECT r.user_id FROM message_reactions r JOIN t ON r.message_id = t.id WHERE r.emoji = $3 LIMIT 1 FOR KEY SHARE OF r
), st AS (
  SELECT coalesce(bool_or(r.user_id = $2::uuid), false) AS mine FROM message_reactions r WHERE r.message_id = $1::uuid AND r.emoji = $3
), changed AS (
  INSERT INTO message_reactions (message_id, emoji, user_id)
  SELECT t.id, $3, $2::uuid FROM t WHERE NOT t.recalled AND NOT t.system AND EXISTS (SELECT 1 FROM proof)
    AND member_reaction_count(t.id, $2::uuid) < $6::int
  ON CONFLICT DO NOTHING RETURNING message_id
), ${REACTION_BUMP}
SELECT t.recalled, t.system, st.mine, EXISTS (SELECT 1 FROM proof) AS present, EXISTS (SELECT 1 FROM changed) AS changed, $5::int IS NULL AS unused,
  t.conversation_id, t.conversation_type,
  ${AUDIENCE}
FROM t, st`

const REACTION_REMOVE_SQL = `
WITH ${REACTION_TARGET}, changed AS (
  DELETE FROM message_reactions r USING t WHERE r.message_id = t.id AND r.emoji = $3 AND r.user_id = $2::uuid AND NOT t.recalled
  RETURNING r.message_id
), ${REACTION_BUMP}
SELECT t.recalled, t.system, false AS mine, true AS present, EXISTS (SELECT 1 FROM changed) AS changed, $5::int IS NULL AND $6::int IS NULL AS unused,
  t.conversation_id, t.conversation_type,
  ${AUDIENCE}
FROM t`

/**
 * Changes to existing messages (edit, reactions, pins) on the change stream, and the
 * per-member hiding (delete for me, clear history), which is not a change of the message:
 * nobody else sees it, so no rev moves; the member's own devices get an event.
 */
export function createMessageChanges (deps: ConversationsDeps, changes: ChangeStream) {
  const { prisma, sql, limits, delivery } = deps
  const publishSystem = createSystemPublisher(deps)

  /**
   * An add the one statement did not settle (an emoji new to the message, or a member at their
   * limit): both limits are checked in a fresh snapshot under the conversation's lock.
   */
  async function addFirst (userId: string, messageId: string, emoji: string, conversationId?: string): Promise<MessageView> {
    const { message } = await changes.change(userId, messageId, conversationId, async (tx, t) => {
      if (t.type === 'system') throw systemImmutable('reacted to')
      if (t.recalled_at !== null) throw conflict('A recalled message cannot be reacted to')
      const [state] = await tx.$queryRaw<Array<{ emojis: number, has_emoji: boolean, mine: number, has_mine: boolean }>>`
        SELECT count(DISTINCT emoji)::int AS emojis, coalesce(bool_or(emoji = ${emoji}), false) AS has_emoji,
          count(*) FILTER (WHERE user_id = ${userId}::uuid)::int AS mine,
          coalesce(bool_or(emoji = ${emoji} AND user_id = ${userId}::uuid), false) AS has_mine
        FROM message_reactions WHERE message_id = ${t.id}::uuid`
      if (state?.has_mine === true) return { changed: false, result: undefined }
      if ((state?.mine ?? 0) >= EMOJIS_PER_MEMBER) throw conflict(`At most ${EMOJIS_PER_MEMBER} different emojis per member on one message`)
      if (state?.has_emoji !== true && (state?.emojis ?? 0) >= EMOJIS_PER_MESSAGE) throw conflict(`At most ${EMOJIS_PER_MESSAGE} different emojis per message`)
      const added = await tx.$executeRaw`INSERT INTO message_reactions (message_id, emoji, user_id) VALUES (${t.id}::uuid, ${emoji}, ${userId}::uuid) ON CONFLICT DO NOTHING`
      return { changed: added > 0, result: undefined }
    })
    return message
  }

  return {
    /** Sender only (FORBIDDEN), text and custom only (VALIDATION), not recalled (CONFLICT), within EDIT_WINDOW_S (FORBIDDEN). */
    async edit (userId: string, messageId: string, content: unknown, conversationId?: string): Promise<MessageView> {
      const { message } = await changes.change(userId, messageId, conversationId, async (tx, t) => {
        if (t.type === 'system') throw systemImmutable('edited')
        if (t.sender_id !== userId) throw forbidden('Only the sender can edit a message')
        if (t.type !== 'text' && t.type !== 'custom') throw validation('Only text and custom messages can be edited')
        if (t.recalled_at !== null) throw conflict('A recalled message cannot be edited')
        if (t.age_s > limits.editWindowS) throw forbidden(`Messages can only be edited within ${limits.editWindowS} s`)
        checkContent(t.type, content, limits)
        // the version being replaced goes to the history table (for admins; never served)
        await tx.$executeRaw`INSERT INTO message_edits (id, message_id, content, rev) VALUES (${randomUUID()}::uuid, ${t.id}::uuid, ${JSON.stringify(t.content)}::jsonb, ${t.rev}::int)`
        await tx.$executeRaw`UPDATE messages SET content = ${JSON.stringify(content)}::jsonb, edited_at = now() WHERE id = ${t.id}::uuid`
        return { changed: true, result: undefined }
      })
      return message
    },

    /**
     * Adds or removes the caller's reaction; a no-op (no rev, no event) when nothing changes.
     * Removing, and adding an emoji the message already carries, is one statement (no round
     * trip while the conversation's row lock is held: one message takes ~1,000 reactions/s);
     * the first use of an emoji on a message checks the 20-emoji limit in a transaction
     * under the lock, and so does an add the member's limit (3) stopped, to tell it from a
     * no-op. The primary key keeps counts exact under any concurrency.
     */
    async react (userId: string, messageId: string, rawEmoji: string, add: boolean, conversationId?: string): Promise<{ reactions: ReactionView[] }> {
      // Removal takes any key: one stored under an older, looser rule can still be taken back.
      const emoji = add ? checkEmoji(rawEmoji) : rawEmoji
      const rows = await changes.exclusive(async () => await sql.query<ReactRow>(add ? REACTION_ADD_SQL : REACTION_REMOVE_SQL, [messageId, userId, emoji, conversationId ?? null, EMOJIS_PER_MESSAGE, EMOJIS_PER_MEMBER], add ? 'reaction_add' : 'reaction_remove'))
      const row = rows[0]
      if (row === undefined) throw messageNotFound()
      if (row.system) throw systemImmutable('reacted to')
      if (row.recalled) throw conflict('A recalled message cannot be reacted to')
      if (add && !row.changed && (!row.present || !row.mine)) return { reactions: (await addFirst(userId, messageId, emoji, conversationId)).reactions }
      const message = await changes.read(messageId)
      if (message === undefined) throw messageNotFound()
      if (row.changed) delivery.deliver({ event: 'message:updated', payload: message, audience: membersOf({ id: row.conversation_id, type: row.conversation_type }, row.member_ids, row.blind_ids ?? []) })
      return { reactions: message.reactions }
    },

    /**
     * In groups only the owner and admins (FORBIDDEN); in a direct conversation either member.
     * At most PINS_MAX (CONFLICT). System messages cannot be pinned (VALIDATION). A pin (not
     * an unpin) adds a `message_pinned` system message.
     */
    async pin (userId: string, messageId: string, pinned: boolean, conversationId?: string): Promise<MessageView> {
      const { message, result } = await changes.change(userId, messageId, conversationId, async (tx, t) => {
        if (t.conversation_type !== 'direct') requireRole(t.role, 'pinMessages')
        if (t.type === 'system') throw systemImmutable('pinned')
        if (pinned === (t.pinned_at !== null)) return { changed: false, result: undefined }
        if (pinned) {
          if (t.recalled_at !== null) throw conflict('A recalled message cannot be pinned')
          const [count] = await tx.$queryRaw<Array<{ n: number }>>`
            SELECT count(*)::int AS n FROM messages WHERE conversation_id = ${t.conversation_id}::uuid AND pinned_at IS NOT NULL`
          if ((count?.n ?? 0) >= PINS_MAX) throw conflict(`At most ${PINS_MAX} pinned messages per conversation`)
          await tx.$executeRaw`UPDATE messages SET pinned_at = now(), pinned_by = ${userId}::uuid WHERE id = ${t.id}::uuid`
          return { changed: true, result: await writeSystemMessage(tx, t.conversation_id, { event: 'message_pinned', actorId: userId, messageId: t.id }) }
        }
        await tx.$executeRaw`UPDATE messages SET pinned_at = NULL, pinned_by = NULL WHERE id = ${t.id}::uuid`
        return { changed: true, result: undefined }
      })
      if (result !== undefined) await publishSystem([result])
      return message
    },

    /** Pinned messages of a conversation, the latest pin first (those hidden for the caller left out). */
    async pins (userId: string, conversationId: string): Promise<MessageView[]> {
      const rows = await sql.query<MessageRow>(PINS_SQL, [conversationId, userId], 'pins')
      if (rows.length === 0) {
        const member = await prisma.conversationMember.findUnique({ where: { conversationId_userId: { conversationId, userId } }, select: { userId: true } })
        if (member === null) throw Errors.notMember()
      }
      return rows.map(toMessage)
    },

    /** Delete for me: the message (visible to the caller, else NOT_FOUND) leaves the caller's views only. */
    async hide (userId: string, conversationId: string, messageId: string): Promise<void> {
      const rows = await sql.query<{ message_id: string }>(`
        INSERT INTO hidden_messages (user_id, message_id, conversation_id)
        SELECT m.user_id, x.id, x.conversation_id FROM messages x
        JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $1::uuid
        WHERE x.id = $3::uuid AND x.conversation_id = $2::uuid AND ${visibleTo('x', 'm')}
        ON CONFLICT DO NOTHING
        RETURNING message_id`, [userId, conversationId, messageId], 'hide_message')
      if (rows.length === 0) throw messageNotFound()
      delivery.deliver({ event: 'message:hidden', payload: { conversationId, messageId }, audience: { users: [userId] } })
    },

    /** Clear history for me, up to `uptoSeq` (default: everything so far); the cursor only moves forward. */
    async clear (userId: string, conversationId: string, uptoSeq?: number): Promise<{ clearedSeq: number }> {
      const rows = await sql.query<{ last_seq: number, cleared_seq: number }>(`
        WITH cur AS (
          SELECT c.last_seq FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.conversation_id = $1::uuid AND m.user_id = $2::uuid
        ), upd AS (
          UPDATE conversation_members m SET cleared_seq = GREATEST(m.cleared_seq, coalesce($3::int, cur.last_seq))
          FROM cur WHERE m.conversation_id = $1::uuid AND m.user_id = $2::uuid AND coalesce($3::int, 0) <= cur.last_seq
          RETURNING m.cleared_seq
        )
        SELECT cur.last_seq, upd.cleared_seq FROM cur LEFT JOIN upd ON true`, [conversationId, userId, uptoSeq ?? null], 'clear_history')
      const row = rows[0]
      if (row === undefined) throw Errors.notMember()
      if (uptoSeq !== undefined && uptoSeq > row.last_seq) throw validation(`uptoSeq beyond the last message (${row.last_seq})`)
      delivery.deliver({ event: 'conversation:cleared', payload: { conversationId, clearedSeq: row.cleared_seq }, audience: { users: [userId] } })
      return { clearedSeq: row.cleared_seq }
    }
  }
}

export type MessageChanges = ReturnType<typeof createMessageChanges>
