import { type ConversationsDeps, type ConversationView, toMessage, type MessageRow, type MessageView } from '../conversations/index.js'
import { SYNC_MEMBERSHIPS_SQL, SYNC_REVS_SQL, SYNC_SQL, SYNC_UPDATED_SQL } from './sql.js'
import type { Threads, ThreadStateView } from './threads.js'

export interface SyncResult {
  messages: MessageView[]
  /** Messages changed since the given revs (empty without `revs`). */
  updated: MessageView[]
  /** Per conversation, the rev the caller is now complete up to (send it back as `revs`). */
  revs: Record<string, number>
  /** Retention: per listed conversation whose history was purged, the seq it now starts at (older ones are gone, not missed). */
  historyStartsAt?: Record<string, number>
  /** With `memberships`: the conversations the caller became a member of after the token. */
  joined?: ConversationView[]
  /** With `membershipsToken`: the token to send next time. */
  membershipsToken?: string
  /** With `threads` (and `revs`): my state of each thread that changed for me after those revs (docs/protocol.md, "Threads"). */
  threads?: ThreadStateView[]
  hasMore: boolean
}

/** Catch-up of new memberships: after `since` (a `membershipsToken`; null: from the start), views by `view`. */
export interface MembershipCatchUp {
  since: string | null
  /** The caller's view of a conversation, undefined when it is gone meanwhile. */
  view: (conversationId: string) => Promise<ConversationView | undefined>
  /** At most this many conversations per answer. */
  max: number
}

/** Retention: the purged conversations' history starts, read with their revs (before the messages). */
function retentionStarts (rows: ReadonlyArray<{ id: string, history_start_seq: number }>): Record<string, number> | undefined {
  const purged = rows.filter((r) => r.history_start_seq > 0)
  return purged.length === 0 ? undefined : Object.fromEntries(purged.map((r) => [r.id, r.history_start_seq]))
}

/** Catch-up sync by seq cursors and, with `revs`, by change revs. */
export function createSync (deps: Pick<ConversationsDeps, 'sql'>, threads: Pick<Threads, 'changedSince'>) {
  const { sql } = deps

  /** New memberships after the token, at most `max`, and the token the answer is complete up to. */
  async function newMemberships (userId: string, known: string[], m: MembershipCatchUp): Promise<{ ids: string[], token: string, cut: boolean }> {
    const since = m.since === null ? 0 : Number(m.since)
    const rows = await sql.query<{ membership_clock: number, id: string | null, joined_clock: number | null }>(
      SYNC_MEMBERSHIPS_SQL, [userId, since, known, m.max + 1], 'sync_memberships')
    const found = rows.filter((r) => r.id !== null)
    const ids = found.slice(0, m.max).map((r) => r.id as string)
    const cut = found.length > m.max
    // Cut short: complete only up to the last one returned; else up to the clock read with them.
    const upTo = cut ? (found[m.max - 1]?.joined_clock ?? since) : Math.max(since, rows[0]?.membership_clock ?? since)
    return { ids, token: String(upTo), cut }
  }

  return {
    /**
     * Catch-up: messages after each given cursor, in conversations the caller is a member
     * of (other ids are skipped: a client may hold stale ids after leaving), ordered by
     * conversation id then seq. Only the listed conversations are read. With `revs`,
     * also the messages at or below the cursor changed since that rev, and per conversation
     * the rev the caller is complete up to. With `memberships`, also the conversations
     * joined after its token that are not listed, with their messages from the start the
     * visibility rule allows (as for a cursor at 0).
     */
    async sync (userId: string, cursors: Record<string, number>, limit = 200, revs?: Record<string, number>, memberships?: MembershipCatchUp, withThreads = false): Promise<SyncResult> {
      const after = new Map<string, number>()
      for (const [id, seq] of Object.entries(cursors)) {
        after.set(id, seq)
      }
      const since = new Map<string, number>()
      for (const [id, rev] of Object.entries(revs ?? {})) {
        since.set(id, rev)
      }
      let joined: { views: ConversationView[], token: string, cut: boolean } | undefined
      if (memberships !== undefined) {
        const found = await newMemberships(userId, [...new Set([...after.keys(), ...since.keys()])], memberships)
        const views: ConversationView[] = []
        for (const id of found.ids) {
          const view = await memberships.view(id)
          if (view === undefined) continue
          views.push(view)
          after.set(id, 0)
        }
        joined = { views, token: found.token, cut: found.cut }
      }
      const extra = joined === undefined ? {} : { joined: joined.views, membershipsToken: joined.token }
      const ids = [...new Set([...after.keys(), ...since.keys()])]
      if (ids.length === 0) return { messages: [], updated: [], revs: {}, ...extra, ...(withThreads ? { threads: [] } : {}), hasMore: joined?.cut ?? false }
      // Last revs first: anything changed after this read comes again next time, never missed.
      const revRows = await sql.query<{ id: string, last_rev: number, history_start_seq: number }>(SYNC_REVS_SQL, [ids, userId], 'sync_revs')
      const last = new Map(revRows.map((r) => [r.id, r.last_rev]))
      const starts = retentionStarts(revRows)
      const rows = after.size === 0 ? [] : await sql.query<MessageRow>(SYNC_SQL, [[...after.keys()], [...after.values()], userId, limit + 1], 'sync')
      const asked = [...since.keys()].filter((id) => last.has(id) && (after.get(id) ?? 0) > 0)
      const changedRows = asked.length === 0
        ? []
        : await sql.query<MessageRow & { change_rev: number }>(SYNC_UPDATED_SQL, [asked, asked.map((id) => after.get(id) ?? 0), asked.map((id) => since.get(id) ?? 0), userId, limit + 1], 'sync_updated')
      // After the last revs too: a thread change after that read comes again next time, never missed.
      const threadStates = withThreads ? await threads.changedSince(userId, new Map([...since].filter(([id]) => last.has(id)))) : undefined
      const updated = changedRows.slice(0, limit)
      const out: Record<string, number> = {}
      for (const [id, rev] of last) out[id] = rev
      if (changedRows.length > limit) {
        // Cut short: conversations with updates left over are complete only up to the last change returned.
        const lastReturned = new Map<string, number>()
        for (const m of updated) lastReturned.set(m.conversation_id, m.change_rev)
        const cut = changedRows[limit]
        for (const id of asked) {
          if (cut !== undefined && id >= cut.conversation_id) out[id] = lastReturned.get(id) ?? since.get(id) ?? 0
        }
      }
      return {
        messages: rows.slice(0, limit).map(toMessage),
        // A root whose row and thread summary both changed came twice (the same current state): once.
        updated: [...new Map(updated.map((r) => [r.id, toMessage(r)])).values()],
        revs: out,
        ...(starts === undefined ? {} : { historyStartsAt: starts }),
        ...extra,
        ...(threadStates === undefined ? {} : { threads: threadStates }),
        hasMore: rows.length > limit || changedRows.length > limit || (joined?.cut ?? false)
      }
    }
  }
}
