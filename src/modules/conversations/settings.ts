import { Errors, validation } from '../../lib/errors.js'
import type { ConversationsDeps } from './deps.js'
import { SETTINGS_UPDATE_SQL } from './sql.js'

export type NotifyLevel = 'all' | 'mentions' | 'none'
export const NOTIFY_LEVELS: readonly NotifyLevel[] = ['all', 'mentions', 'none']

/** A member's settings of one conversation, as served (`settings` on every list entry). */
export interface ConversationSettings {
  notify: NotifyLevel
  mutedUntil: string | null
  /** In effect: archived by the member and no later message un-archived it (see ARCHIVED_SQL in sql.ts). */
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
  const { sql, delivery } = deps

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
      const rows = await sql.query<SettingsRow>(SETTINGS_UPDATE_SQL,
        [patch.notify ?? null, mutedUntil !== undefined, mutedUntil ?? null, archived, patch.pinned ?? null, conversationId, userId], 'settings_update')
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
