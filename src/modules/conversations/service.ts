import { randomUUID } from 'node:crypto'
import { Prisma } from '../../generated/prisma/client.js'
import { Errors, validation } from '../../lib/errors.js'
import type { ConversationsDeps } from './deps.js'
import { isUniqueViolation } from '../../db/constraint-errors.js'
import { MESSAGE_COLUMNS, toMessage, type ConversationView, type MemberView, type MessageRow } from './rows.js'
import { ARCHIVED_SQL, SETTINGS_COLUMNS, toSettings, type SettingsRow } from './settings.js'
import { contentLive, visibleTo } from './visibility.js'

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

const LIST_COLUMNS = Prisma.sql`c.id, c.type::text AS type, c.name, c.topic, c.avatar_url, c.member_count, c.owner_id, c.last_seq, c.created_at,
  coalesce(c.last_message_at, c.created_at) AS activity_at, row_to_json(lm) AS last_message`
/** The shared view's last message: the conversation's last one. */
const LAST_MESSAGE_JOIN = Prisma.sql`LEFT JOIN LATERAL (SELECT ${Prisma.raw(MESSAGE_COLUMNS)} FROM messages x JOIN users u ON u.id = x.sender_id
  WHERE x.conversation_id = c.id AND x.seq = c.last_seq) lm ON true`
/** A member's view: their last visible message (deleted or cleared ones skipped). */
const VIEWER_LAST_MESSAGE_JOIN = Prisma.sql`LEFT JOIN LATERAL (SELECT ${Prisma.raw(MESSAGE_COLUMNS)} FROM messages x JOIN users u ON u.id = x.sender_id
  WHERE x.conversation_id = c.id AND ${Prisma.raw(visibleTo('x', 'm'))}
  ORDER BY x.seq DESC LIMIT 1) lm ON true`
/** Others' messages after the member's read cursor that are still shown to them (the GREATEST lets the index skip cleared ones). */
const UNREAD = Prisma.sql`x.conversation_id = c.id AND x.seq > GREATEST(m.read_seq, m.cleared_seq)
  AND x.sender_id <> m.user_id AND ${Prisma.raw(contentLive('x'))} AND x.type <> 'system'
  AND ${Prisma.raw(visibleTo('x', 'm'))}`

/** Conversation views, listing and direct get-or-create; groups are in the groups module. */
export function createConversationService (deps: ConversationsDeps) {
  const { prisma, delivery, presence, friends } = deps

  /** Rows seen by `viewerId` (their cursors, unread counts and settings), pinned first, then newest activity first. */
  async function viewerRows (viewerId: string, filter: Prisma.Sql, limit: number): Promise<Row[]> {
    // Unread: others' messages after my read cursor that are still shown (recalled, deleted or cleared ones are not counted).
    return await prisma.$queryRaw<Row[]>`
      SELECT ${LIST_COLUMNS}, m.read_seq, m.delivered_seq,
        (SELECT count(*)::int FROM messages x WHERE ${UNREAD}) AS unread,
        (SELECT count(*)::int FROM messages x WHERE ${UNREAD}
          AND x.mentions IS NOT NULL AND (x.mentions @> jsonb_build_array(m.user_id::text) OR x.mentions @> '["all"]'::jsonb)) AS unread_mentions,
        ${Prisma.raw(SETTINGS_COLUMNS)}, coalesce(m.pinned_at, 'epoch'::timestamptz) AS pin_key
      FROM conversation_members m
      JOIN conversations c ON c.id = m.conversation_id
      ${VIEWER_LAST_MESSAGE_JOIN}
      WHERE m.user_id = ${viewerId}::uuid ${filter}
      ORDER BY pin_key DESC, activity_at DESC, c.id DESC
      LIMIT ${limit}`
  }

  async function sharedRow (conversationId: string): Promise<Row | undefined> {
    const rows = await prisma.$queryRaw<Row[]>`
      SELECT ${LIST_COLUMNS}, NULL::int AS read_seq, NULL::int AS delivered_seq, NULL::int AS unread, NULL::int AS unread_mentions, NULL::timestamptz AS pin_key
      FROM conversations c ${LAST_MESSAGE_JOIN}
      WHERE c.id = ${conversationId}::uuid`
    return rows[0]
  }

  async function membersOf (conversationIds: string[]): Promise<Map<string, MemberView[]>> {
    const byConversation = new Map<string, MemberView[]>()
    if (conversationIds.length === 0) return byConversation
    const rows = await prisma.$queryRaw<MemberRow[]>`
      SELECT m.conversation_id, u.id, u.username, u.display_name, u.avatar_url, m.role::text AS role, m.joined_at
      FROM conversation_members m JOIN users u ON u.id = m.user_id
      WHERE m.conversation_id = ANY(${conversationIds}::uuid[])
      ORDER BY m.joined_at, u.id`
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
        ...(r.read_seq !== null ? { readSeq: r.read_seq, deliveredSeq: r.delivered_seq ?? 0, unread: r.unread ?? 0, unreadMentions: r.unread_mentions ?? 0 } : {}),
        ...(r.s_notify !== undefined ? { settings: toSettings(r as SettingsRow) } : {}),
        createdAt: r.created_at.toISOString(),
        lastActivityAt: r.activity_at.toISOString()
      }
      return view
    })
  }

  async function view (conversationId: string, viewerId: string): Promise<ConversationView> {
    const rows = await viewerRows(viewerId, Prisma.sql`AND c.id = ${conversationId}::uuid`, 1)
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
        data: { id: randomUUID(), type: 'direct', directKey: key, members: { create: [{ userId }, { userId: otherId }] } },
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
      let filter = opts.archived === true ? Prisma.empty : Prisma.sql`AND NOT ${Prisma.raw(ARCHIVED_SQL)}`
      if (opts.cursor !== undefined) {
        const after = decodeCursor(opts.cursor)
        filter = Prisma.sql`${filter} AND (coalesce(m.pinned_at, 'epoch'::timestamptz), coalesce(c.last_message_at, c.created_at), c.id)
          < (${after.pin}::timestamptz, ${after.at}::timestamptz, ${after.id}::uuid)`
      }
      const rows = await viewerRows(userId, filter, limit + 1)
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
