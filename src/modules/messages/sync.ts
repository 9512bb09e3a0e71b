import { type ConversationsDeps, toMessage, type MessageRow, type MessageView } from '../conversations/index.js'
import { SYNC_REVS_SQL, SYNC_SQL, SYNC_UPDATED_SQL } from './sql.js'

export interface SyncResult {
  messages: MessageView[]
  /** Messages changed since the given revs (empty without `revs`). */
  updated: MessageView[]
  /** Per conversation, the rev the caller is now complete up to (send it back as `revs`). */
  revs: Record<string, number>
  hasMore: boolean
}

/** Catch-up sync by seq cursors and, with `revs`, by change revs. */
export function createSync (deps: Pick<ConversationsDeps, 'sql'>) {
  const { sql } = deps
  return {
    /**
     * Catch-up: messages after each given cursor, in conversations the caller is a member
     * of (other ids are skipped: a client may hold stale ids after leaving), ordered by
     * conversation id then seq. Only the listed conversations are read. With `revs`,
     * also the messages at or below the cursor changed since that rev, and per conversation
     * the rev the caller is complete up to.
     */
    async sync (userId: string, cursors: Record<string, number>, limit = 200, revs?: Record<string, number>): Promise<SyncResult> {
      const after = new Map<string, number>()
      for (const [id, seq] of Object.entries(cursors)) {
        after.set(id, seq)
      }
      const since = new Map<string, number>()
      for (const [id, rev] of Object.entries(revs ?? {})) {
        since.set(id, rev)
      }
      const ids = [...new Set([...after.keys(), ...since.keys()])]
      if (ids.length === 0) return { messages: [], updated: [], revs: {}, hasMore: false }
      // Last revs first: anything changed after this read comes again next time, never missed.
      const last = new Map((await sql.query<{ id: string, last_rev: number }>(SYNC_REVS_SQL, [ids, userId], 'sync_revs')).map((r) => [r.id, r.last_rev]))
      const rows = after.size === 0 ? [] : await sql.query<MessageRow>(SYNC_SQL, [[...after.keys()], [...after.values()], userId, limit + 1], 'sync')
      const asked = [...since.keys()].filter((id) => last.has(id) && (after.get(id) ?? 0) > 0)
      const changedRows = asked.length === 0
        ? []
        : await sql.query<MessageRow>(SYNC_UPDATED_SQL, [asked, asked.map((id) => after.get(id) ?? 0), asked.map((id) => since.get(id) ?? 0), userId, limit + 1], 'sync_updated')
      const updated = changedRows.slice(0, limit)
      const out: Record<string, number> = {}
      for (const [id, rev] of last) out[id] = rev
      if (changedRows.length > limit) {
        // Cut short: conversations with updates left over are complete only up to the last one returned.
        const lastReturned = new Map<string, number>()
        for (const m of updated) lastReturned.set(m.conversation_id, m.rev)
        const cut = changedRows[limit]
        for (const id of asked) {
          if (cut !== undefined && id >= cut.conversation_id) out[id] = lastReturned.get(id) ?? since.get(id) ?? 0
        }
      }
      return {
        messages: rows.slice(0, limit).map(toMessage),
        updated: updated.map(toMessage),
        revs: out,
        hasMore: rows.length > limit || changedRows.length > limit
      }
    }
  }
}
