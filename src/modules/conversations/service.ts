import { randomUUID } from 'node:crypto'
import { Errors, validation } from '../../lib/errors.js'
import type { ConversationsDeps } from './deps.js'
import { isUniqueViolation } from '../../db/constraint-errors.js'
import { toMessage, type ConversationView, type MemberView, type MessageRow } from './rows.js'
import { toSettings, type SettingsRow } from './settings.js'
import { LIST_AFTER_SQL, LIST_ALL_AFTER_SQL, LIST_ALL_SQL, LIST_SQL, MEMBERS_OF_SQL, SHARED_ROW_SQL, VIEWER_ROW_SQL } from './sql.js'

export const directKey = (a: string, b: string): string => a < b ? `${a}:${b}` : `${b}:${a}`

interface ConversationRow {
  id: string
  type: 'direct' | 'group' | 'channel'
  name: string | null
  topic: string | null
  avatar_url: string | null
  member_count: number
  owner_id: string | null
  last_seq: number
  retention_days: number | null
  history_start_seq: number
  created_at: Date
  activity_at: Date
  /** null when read without a viewer (shared view) */
  read_seq: number | null
  delivered_seq: number | null
  unread: number | null
  unread_mentions: number | null
  /** The last message (the viewer's last visible one), through row_to_json: timestamps as strings. */
  last_message: MessageRow | null
  /** The viewer's pin time, 'epoch' when not pinned (the list's first sort key). */
  pin_key: Date | null
}
type Row = ConversationRow & Partial<SettingsRow>

interface MemberRow {
  conversation_id: string
  id: string
  username: string
  display_name: string
  avatar_url: string | null
  role: 'owner' | 'admin' | 'member'
  joined_at: Date
}

/** Keyset position in the list: pin time ('epoch' when not pinned), activity time and id of the last conversation on the page. */
function encodeCursor (row: { activity_at: Date, id: string, pin_key: Date | null }): string {
  return Buffer.from(`${row.activity_at.toISOString()}|${row.id}|${(row.pin_key ?? new Date(0)).toISOString()}`).toString('base64url')
}

function decodeCursor (cursor: string): { at: Date, id: string, pin: Date } {
  const [at, id, pin] = Buffer.from(cursor, 'base64url').toString().split('|')
  const date = new Date(at ?? '')
  // cursors made before pins existed have no third part: not pinned
  const pinDate = new Date(pin ?? 0)
  if (id === undefined || Number.isNaN(date.getTime()) || Number.isNaN(pinDate.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) throw validation('cursor: invalid cursor')
  return { at: date, id, pin: pinDate }
}

/** Conversation views, listing and direct get-or-create; groups are in the groups module. */
export function createConversationService (deps: ConversationsDeps) {
  const { prisma, sql, delivery, presence, friends } = deps

  /** Rows seen by `viewerId` (their cursors, unread counts and settings), pinned first, then newest activity first. */
  async function sharedRow (conversationId: string): Promise<Row | undefined> {
    const rows = await sql.query<Row>(SHARED_ROW_SQL, [conversationId], 'conversation_shared_row')
    return rows[0]
  }

  async function membersOf (conversationIds: string[]): Promise<Map<string, MemberView[]>> {
    const byConversation = new Map<string, MemberView[]>()
    if (conversationIds.length === 0) return byConversation
    const rows = await sql.query<MemberRow>(MEMBERS_OF_SQL, [conversationIds], 'conversation_members_of')
    for (const r of rows) {
      const list = byConversation.get(r.conversation_id) ?? []
      list.push({ id: r.id, username: r.username, displayName: r.display_name, avatarUrl: r.avatar_url, role: r.role, joinedAt: r.joined_at.toISOString() })
      byConversation.set(r.conversation_id, list)
    }
    return byConversation
  }

  /** Turns rows into views: members for every conversation, the peer with presence for direct ones. */
  async function toViews (rows: Row[], viewerId: string | null): Promise<ConversationView[]> {
    // A channel's members (up to CHANNEL_MAX_MEMBERS) are not listed in its view: `memberCount` says how many.
    const members = await membersOf(rows.filter((r) => r.type !== 'channel').map((r) => r.id))
    const peers = new Map<string, MemberView>()
    if (viewerId !== null) {
      for (const r of rows) {
        const peer = r.type === 'direct' ? members.get(r.id)?.find((m) => m.id !== viewerId) : undefined
        if (peer !== undefined) peers.set(r.id, peer)
      }
    }
    const status = viewerId !== null && peers.size > 0 ? await presence(viewerId, [...new Set([...peers.values()].map((p) => p.id))]) : new Map()
    return rows.map((r) => {
      const peer = peers.get(r.id)
      const view: ConversationView = {
        id: r.id,
        type: r.type,
        ...(r.type === 'group' ? { name: r.name ?? '', topic: r.topic, avatarUrl: r.avatar_url, ownerId: r.owner_id } : {}),
        ...(r.type === 'channel' ? { name: r.name ?? '', topic: r.topic, ownerId: r.owner_id, memberCount: r.member_count } : {}),
        members: members.get(r.id) ?? [],
        ...(peer !== undefined
          ? {
              peer: {
                id: peer.id,
                username: peer.username,
                displayName: peer.displayName,
                avatarUrl: peer.avatarUrl,
                presence: status.get(peer.id) ?? { online: false, lastSeenAt: null }
              }
            }
          : {}),
        lastMessage: r.last_message === null ? null : toMessage(r.last_message),
        lastSeq: r.last_seq,
        // Retention (docs/protocol.md, "Retention"): the group's or channel's own policy, and where history starts.
        ...(r.type !== 'direct' ? { retentionDays: r.retention_days } : {}),
        historyStartsAt: r.history_start_seq,
        ...(r.read_seq !== null ? { readSeq: r.read_seq, deliveredSeq: r.delivered_seq ?? 0, unread: r.unread ?? 0, unreadMentions: r.unread_mentions ?? 0 } : {}),
        ...(r.s_notify !== undefined ? { settings: toSettings(r as SettingsRow) } : {}),
        createdAt: r.created_at.toISOString(),
        lastActivityAt: r.activity_at.toISOString()
      }
      return view
    })
  }

  async function view (conversationId: string, viewerId: string): Promise<ConversationView> {
    const rows = await sql.query<Row>(VIEWER_ROW_SQL, [viewerId, conversationId, 1], 'conversation_viewer_row')
    const [v] = await toViews(rows, viewerId)
    if (v !== undefined) return v
    // A channel is public: a non-member sees the shared view (no cursors of theirs).
    const shared = await sharedView(conversationId)
    if (shared?.type === 'channel') return shared
    throw Errors.conversationNotFound()
  }

  /** The view every member shares (no per-member cursors); what `conversation:updated` carries. */
  async function sharedView (conversationId: string): Promise<ConversationView | undefined> {
    const row = await sharedRow(conversationId)
    return row === undefined ? undefined : (await toViews([row], null))[0]
  }

  /**
   * `conversation:updated` with the shared view to `userIds`; with `room`, a channel's goes to
   * its room in one emit instead (every member's sockets are in it).
   */
  async function announce (conversationId: string, userIds: Iterable<string>, opts: { room?: boolean } = {}): Promise<void> {
    const shared = await sharedView(conversationId)
    if (shared === undefined) return
    const audience = opts.room === true && shared.type === 'channel' ? { channel: conversationId } : { users: [...new Set(userIds)] }
    delivery.deliver({ event: 'conversation:updated', payload: shared, audience })
  }

  const directIds = new Map<string, string>()

  /** Finds or creates the 1:1 conversation; needs friendship and no block either way. */
  async function ensureDirect (userId: string, otherId: string): Promise<string> {
    if (userId === otherId) throw validation('Cannot open a direct conversation with yourself')
    const relation = await friends.relation(userId, otherId)
    if (relation.blocked || relation.blockedBy) throw Errors.blocked()
    if (!relation.isFriend) {
      const exists = await prisma.user.findUnique({ where: { id: otherId }, select: { id: true } })
      throw exists === null ? Errors.userNotFound() : Errors.notFriends()
    }
    const key = directKey(userId, otherId)
    const found = await prisma.conversation.findUnique({ where: { directKey: key }, select: { id: true } })
    if (found !== null) return found.id
    try {
      const created = await prisma.conversation.create({
        data: { id: randomUUID(), type: 'direct', directKey: key, members: { create: key.split(':').map((id) => ({ userId: id })) } }, // in id order (the membership clock's locks)
        select: { id: true }
      })
      return created.id
    } catch (err) {
      // Both users opened it at the same moment: the other insert won, use its row.
      if (!isUniqueViolation(err)) throw err
      const winner = await prisma.conversation.findUnique({ where: { directKey: key }, select: { id: true } })
      if (winner === null) throw err
      return winner.id
    }
  }

  return {
    view,
    sharedView,
    announce,
    ensureDirect,

    /**
     * Id of the direct conversation for a send by `toUserId`. An existing one is returned
     * without checks (the send statement itself enforces friendship and blocks).
     */
    async directIdForSend (userId: string, toUserId: string): Promise<string> {
      if (userId === toUserId) throw validation('Cannot send a message to yourself')
      const key = directKey(userId, toUserId)
      const cached = directIds.get(key)
      if (cached !== undefined) return cached
      const found = await prisma.conversation.findUnique({ where: { directKey: key }, select: { id: true } })
      const id = found?.id ?? await ensureDirect(userId, toUserId)
      if (directIds.size > 10_000) directIds.clear()
      directIds.set(key, id)
      return id
    },

    async openDirect (userId: string, otherId: string): Promise<ConversationView> {
      return await view(await ensureDirect(userId, otherId), userId)
    },

    /**
     * One page of the caller's conversations and the cursor of the next page, if any: pinned
     * ones first (latest pin first), then by activity; archived ones only with `archived`.
     */
    async list (userId: string, opts: { limit?: number, cursor?: string, archived?: boolean }): Promise<{ conversations: ConversationView[], nextCursor?: string }> {
      const limit = opts.limit ?? 20
      const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor)
      const all = opts.archived === true
      const rows = after === undefined
        ? await sql.query<Row>(all ? LIST_ALL_SQL : LIST_SQL, [userId, limit + 1], all ? 'conversation_list_all' : 'conversation_list')
        : await sql.query<Row>(all ? LIST_ALL_AFTER_SQL : LIST_AFTER_SQL, [userId, after.pin, after.at, after.id, limit + 1], all ? 'conversation_list_all_after' : 'conversation_list_after')
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return {
        conversations: await toViews(page, userId),
        ...(rows.length > limit && last !== undefined ? { nextCursor: encodeCursor(last) } : {})
      }
    }
  }
}

export type ConversationService = ReturnType<typeof createConversationService>
