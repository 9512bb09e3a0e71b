import { randomUUID } from 'node:crypto'
import { conflict, Errors, forbidden, validation } from '../../lib/errors.js'
import { membersOf } from '../../delivery/index.js'
import { messageNotFound, type ChangeStream } from './change-stream.js'
import { checkContent, KINDS, MESSAGE_TYPES } from '../message-kinds/index.js'
import { type ConversationsDeps, requireRole, toMessage, type MessageRow, type MessageView, type ReactionView } from '../conversations/index.js'
import { checkEmoji, EMOJIS_PER_MEMBER, EMOJIS_PER_MESSAGE } from './reactions.js'
import { createSystemPublisher, writeSystemMessage } from './system-messages.js'
import { txSql } from '../../db/tx-sql.js'
import { previewUrlOfContent } from '../link-previews/index.js'
import { CLEAR_SQL, EDIT_HISTORY_SQL, EDIT_SQL, HIDE_SQL, LINK_PREVIEW_ENQUEUE_SQL, LINK_PREVIEW_RETARGET_SQL, PIN_COUNT_SQL, PIN_SQL, PINS_SQL, REACTION_ADD_SQL, REACTION_INSERT_SQL, REACTION_REMOVE_SQL, REACTION_STATE_SQL, UNPIN_SQL } from './sql.js'

const systemImmutable = (what: string) => validation(`System messages cannot be ${what}`)

/** Pinned messages one conversation may have. */
export const PINS_MAX = 50

interface ReactRow { recalled: boolean, system: boolean, mine: boolean, present: boolean, changed: boolean, conversation_id: string, conversation_type: string, member_ids: string[] | null, blind_ids: string[] | null }

/** "text and custom": the kinds whose content may be replaced. */
const EDITABLE = MESSAGE_TYPES.filter((type) => KINDS[type].editable).join(', ').replace(/, ([^,]*)$/, ' and $1')

/**
 * Changes to existing messages (edit, reactions, pins) on the change stream, and the
 * per-member hiding (delete for me, clear history), which is not a change of the message:
 * nobody else sees it, so no rev moves; the member's own devices get an event.
 */
export function createMessageChanges (deps: ConversationsDeps, changes: ChangeStream) {
  const { prisma, sql, limits, delivery } = deps
  const publishSystem = createSystemPublisher(deps)

  /**
   * An edit that changes a text's first URL drops the old preview and queues a fetch for the
   * new URL (none when the new text has no fit URL); an edit that keeps the URL keeps the
   * preview as it is, attached or removed (docs/protocol.md, "Link previews").
   */
  async function retargetLinkPreview (q: ReturnType<typeof txSql>, t: { id: string, type: string, content: unknown }, content: unknown): Promise<void> {
    const previews = deps.linkPreviews
    if (previews === undefined || t.type !== 'text') return
    const before = previewUrlOfContent(t.type, t.content, previews.allowedHosts)
    const after = previewUrlOfContent(t.type, content, previews.allowedHosts)
    if (before === after) return
    await q.execute(LINK_PREVIEW_RETARGET_SQL, [t.id, after])
    if (after !== null) await q.execute(LINK_PREVIEW_ENQUEUE_SQL, [t.id, after])
  }

  /**
   * An add the one statement did not settle (an emoji new to the message, or a member at their
   * limit): both limits are checked in a fresh snapshot under the conversation's lock.
   */
  async function addFirst (userId: string, messageId: string, emoji: string, conversationId?: string): Promise<MessageView> {
    const { message } = await changes.change(userId, messageId, conversationId, async (tx, t) => {
      if (t.type === 'system') throw systemImmutable('reacted to')
      if (t.recalled_at !== null) throw conflict('A recalled message cannot be reacted to')
      const q = txSql(tx)
      const [state] = await q.query<{ emojis: number, has_emoji: boolean, mine: number, has_mine: boolean }>(REACTION_STATE_SQL, [emoji, userId, t.id])
      if (state?.has_mine === true) return { changed: false, result: undefined }
      if ((state?.mine ?? 0) >= EMOJIS_PER_MEMBER) throw conflict(`At most ${EMOJIS_PER_MEMBER} different emojis per member on one message`)
      if (state?.has_emoji !== true && (state?.emojis ?? 0) >= EMOJIS_PER_MESSAGE) throw conflict(`At most ${EMOJIS_PER_MESSAGE} different emojis per message`)
      const added = await q.execute(REACTION_INSERT_SQL, [t.id, emoji, userId])
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
        if (!KINDS[t.type].editable) throw validation(`Only ${EDITABLE} messages can be edited`)
        if (t.recalled_at !== null) throw conflict('A recalled message cannot be edited')
        if (t.age_s > limits.editWindowS) throw forbidden(`Messages can only be edited within ${limits.editWindowS} s`)
        checkContent(t.type, content, limits)
        // the version being replaced goes to the history table (for admins; never served)
        const q = txSql(tx)
        await q.execute(EDIT_HISTORY_SQL, [randomUUID(), t.id, JSON.stringify(t.content), t.rev])
        await q.execute(EDIT_SQL, [JSON.stringify(content), t.id])
        await retargetLinkPreview(q, t, content)
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
          const [count] = await txSql(tx).query<{ n: number }>(PIN_COUNT_SQL, [t.conversation_id])
          if ((count?.n ?? 0) >= PINS_MAX) throw conflict(`At most ${PINS_MAX} pinned messages per conversation`)
          await txSql(tx).execute(PIN_SQL, [userId, t.id])
          return { changed: true, result: await writeSystemMessage(tx, t.conversation_id, { event: 'message_pinned', actorId: userId, messageId: t.id }) }
        }
        await txSql(tx).execute(UNPIN_SQL, [t.id])
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
      const rows = await sql.query<{ message_id: string }>(HIDE_SQL, [userId, conversationId, messageId], 'hide_message')
      if (rows.length === 0) throw messageNotFound()
      delivery.deliver({ event: 'message:hidden', payload: { conversationId, messageId }, audience: { users: [userId] } })
    },

    /** Clear history for me, up to `uptoSeq` (default: everything so far); the cursor only moves forward. */
    async clear (userId: string, conversationId: string, uptoSeq?: number): Promise<{ clearedSeq: number }> {
      const rows = await sql.query<{ last_seq: number, cleared_seq: number }>(CLEAR_SQL, [conversationId, userId, uptoSeq ?? null], 'clear_history')
      const row = rows[0]
      if (row === undefined) throw Errors.notMember()
      if (uptoSeq !== undefined && uptoSeq > row.last_seq) throw validation(`uptoSeq beyond the last message (${row.last_seq})`)
      delivery.deliver({ event: 'conversation:cleared', payload: { conversationId, clearedSeq: row.cleared_seq }, audience: { users: [userId] } })
      return { clearedSeq: row.cleared_seq }
    }
  }
}

export type MessageChanges = ReturnType<typeof createMessageChanges>
