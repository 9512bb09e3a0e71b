import { Prisma } from '../../generated/prisma/client.js'
import { Errors, validation } from '../../lib/errors.js'
import type { ConversationsDeps } from './deps.js'

export type NotifyLevel = 'all' | 'mentions' | 'none'
export const NOTIFY_LEVELS: readonly NotifyLevel[] = ['all', 'mentions', 'none']

/** A member's settings of one conversation, as served (`settings` on every list entry). */
export interface ConversationSettings {
  notify: NotifyLevel
  mutedUntil: string | null
  /** In effect: archived by the member and no later message un-archived it (see ARCHIVED_SQL). */
  archived: boolean
  pinned: boolean
}

/**
 * Whether a message should notify a member (push, sound), from their settings row: never
 * while muted (`mutedUntil` in the future, mentions included), never with notify "none",
 * only when mentioned (by id or "all") with "mentions", always with "all". The sender and
 * system messages are the caller's to leave out.
 */
export function shouldNotify (settings: { notify: string, mutedUntil: Date | string | null }, opts: { mentioned: boolean, now: Date }): boolean {
  if (settings.mutedUntil !== null && new Date(settings.mutedUntil).getTime() > opts.now.getTime()) return false
  if (settings.notify === 'none') return false
  if (settings.notify === 'mentions') return opts.mentioned
  return true
}

/**
 * Whether member row `m` of conversation `c` is archived now. The send path writes nothing
 * per member: archiving stores the conversation's last seq (archived_seq), and a later
 * non-system message un-archives it unless it came while the member had it muted
 * (notify "none", or before muted_until). Changing the settings writes the result down.
 */
export const ARCHIVED_SQL = `(m.archived AND NOT EXISTS (SELECT 1 FROM messages ax WHERE ax.conversation_id = m.conversation_id
  AND ax.seq > m.archived_seq AND ax.type <> 'system' AND m.notify <> 'none' AND (m.muted_until IS NULL OR ax.created_at > m.muted_until)))`

/** The settings columns of member row `m` (timestamps as Dates). */
export const SETTINGS_COLUMNS = `m.notify AS s_notify, m.muted_until AS s_muted_until, ${ARCHIVED_SQL} AS s_archived, m.pinned_at AS s_pinned_at`

export interface SettingsRow { s_notify: string, s_muted_until: Date | null, s_archived: boolean, s_pinned_at: Date | null }

export function toSettings (r: SettingsRow): ConversationSettings {
  return {
    notify: (NOTIFY_LEVELS as readonly string[]).includes(r.s_notify) ? r.s_notify as NotifyLevel : 'all',
    mutedUntil: r.s_muted_until === null ? null : r.s_muted_until.toISOString(),
    archived: r.s_archived,
    pinned: r.s_pinned_at !== null
  }
}

export interface SettingsPatch {
  notify?: NotifyLevel
  /** ISO instant in the future, or null to unmute. */
  mutedUntil?: string | null
  archived?: boolean
  pinned?: boolean
}

/** `mutedUntil`: a valid instant in the future (a past one would mute nobody), or null. */
export function parseMutedUntil (value: string | null | undefined, now = Date.now()): Date | null | undefined {
  if (value === undefined || value === null) return value
  const at = new Date(value)
  if (Number.isNaN(at.getTime())) throw validation('mutedUntil: not a valid date')
  if (at.getTime() <= now) throw validation('mutedUntil: must be in the future (null unmutes)')
  return at
}

/** Per-member conversation settings: PATCH /conversations/:id/settings. */
export function createSettingsService (deps: ConversationsDeps) {
  const { prisma, delivery } = deps

  return {
    /**
     * Applies a patch of the caller's settings and returns them. A patch that does not set
     * `archived` first writes down whether a later message already un-archived it, judged
     * by the settings before the patch (so changing a mute neither brings an un-archived
     * conversation back into the archive nor lets messages that came while it was muted
     * un-archive it later); either way the messages so far are judged, so archived_seq
     * moves to the conversation's last seq. Pinning again keeps the first pin time.
     */
    async update (userId: string, conversationId: string, patch: SettingsPatch): Promise<ConversationSettings> {
      const mutedUntil = parseMutedUntil(patch.mutedUntil)
      const archived = patch.archived ?? null
      const rows = await prisma.$queryRaw<SettingsRow[]>`
        UPDATE conversation_members m SET
          notify = coalesce(${patch.notify ?? null}::text, m.notify),
          muted_until = CASE WHEN ${mutedUntil !== undefined} THEN ${mutedUntil ?? null}::timestamptz ELSE m.muted_until END,
          archived = coalesce(${archived}::boolean, ${Prisma.raw(ARCHIVED_SQL)}),
          archived_seq = c.last_seq,
          pinned_at = CASE WHEN ${patch.pinned ?? null}::boolean IS NULL THEN m.pinned_at
            WHEN ${patch.pinned ?? null}::boolean THEN coalesce(m.pinned_at, now()) ELSE NULL END
        FROM conversations c
        WHERE c.id = m.conversation_id AND m.conversation_id = ${conversationId}::uuid AND m.user_id = ${userId}::uuid
        RETURNING m.notify AS s_notify, m.muted_until AS s_muted_until, m.archived AS s_archived, m.pinned_at AS s_pinned_at`
      const row = rows[0]
      if (row === undefined) throw Errors.conversationNotFound()
      const settings = toSettings(row)
      // The caller's other devices move the conversation in their lists too.
      delivery.deliver({ event: 'conversation:settings', payload: { conversationId, settings }, audience: { users: [userId] } })
      return settings
    }
  }
}

export type SettingsService = ReturnType<typeof createSettingsService>
