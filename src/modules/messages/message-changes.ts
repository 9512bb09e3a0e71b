import { randomUUID } from 'node:crypto'
import { conflict, Errors, forbidden, validation } from '../../lib/errors.js'
import { type Audience, membersOf } from '../../delivery/index.js'
import { messageNotFound, type ChangeStream } from './change-stream.js'
import { checkContent, KINDS, MESSAGE_TYPES } from '../message-kinds/index.js'
import { type ConversationsDeps, requireRole, toMessage, type MessageRow, type MessageView, type ReactionView } from '../conversations/index.js'
import { checkEmoji } from './reactions.js'
import { createReactionBatcher } from './reaction-batch.js'
import { createCoalescedUpdates } from './coalesced-updates.js'
import { createSystemPublisher, writeSystemMessage } from './system-messages.js'
import { txSql } from '../../db/tx-sql.js'
import { previewUrlOfContent } from '../link-previews/index.js'
import { CLEAR_SQL, EDIT_HISTORY_SQL, EDIT_SQL, HIDE_SQL, LINK_PREVIEW_ENQUEUE_SQL, LINK_PREVIEW_RETARGET_SQL, PIN_COUNT_SQL, PIN_SQL, PINS_SQL, UNPIN_SQL } from './sql.js'

const systemImmutable = (what: string) => validation(`System messages cannot be ${what}`)

/** Pinned messages one conversation may have. */
export const PINS_MAX = 50

/** Reaction updates of one message reach members at most once per this window (the latest counts). */
export const REACTION_UPDATE_WINDOW_MS = 10

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

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

  // Reactions: group-committed per batch (reaction-batch.ts); members get one coalesced update per message per window.
  const updates = createCoalescedUpdates<Audience>({
    windowMs: REACTION_UPDATE_WINDOW_MS,
    read: changes.read,
    deliver: (message, audience) => { delivery.deliver({ event: 'message:updated', payload: message, audience }) },
    onError: (err) => { deps.log?.warn({ err }, 'a coalesced reaction update failed') }
  })
  const reactions = createReactionBatcher(deps, {
    concurrency: Math.max(1, deps.changeConcurrency),
    read: changes.read,
    exclusive: changes.exclusive,
    onChanged: (c, message) => { updates.changed(c.messageId, message, membersOf({ id: c.conversationId, type: c.conversationType }, c.memberIds, c.blindIds)) }
  })

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
     * Answered after its batch committed (reaction-batch.ts), with the message's reactions then.
     */
    async react (userId: string, messageId: string, rawEmoji: string, add: boolean, conversationId?: string): Promise<{ reactions: ReactionView[] }> {
      // Removal takes any key: one stored under an older, looser rule can still be taken back.
      const emoji = add ? checkEmoji(rawEmoji) : rawEmoji
      // The edges check both; here too, because a value the database refuses would fail every op of its batch.
      if (!UUID.test(messageId)) throw messageNotFound()
      if (emoji.length > 64 || emoji.includes('\u0000')) throw validation('emoji: must be exactly one emoji (a Unicode RGI emoji sequence)')
      return { reactions: await reactions.submit({ userId, messageId, emoji, add, ...(conversationId === undefined ? {} : { conversationId }) }) }
    },

    /** Reaction work not yet finished on this node: ops queued or in a batch, and coalesced updates owed (metrics: "no work in flight" is 0). */
    reactionsInFlight (): number {
      const { inFlight, queued } = reactions.stats()
      return inFlight + queued + updates.pending()
    },

    /** App close: no coalesced update goes out after it. */
    close (): void { updates.close() },

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
