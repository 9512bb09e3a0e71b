import { randomUUID } from 'node:crypto'
import { CHANNEL_NAME_MAX, CHANNEL_TOPIC_MAX, type ChannelSummary } from '@relay-im/client/protocol'
import { isForeignKeyViolation } from '../../db/constraint-errors.js'
import { conflict, Errors, notFound, validation } from '../../lib/errors.js'
import { requireLabel } from '../../lib/text-policy.js'
import type { ConversationService, ConversationsDeps, ConversationView } from '../conversations/index.js'
import { isMemberElseRefuseIfBanned } from '../groups/index.js'
import { txSql } from '../../db/tx-sql.js'
import { CHANNEL_IDS_OF_SQL, CHANNEL_LOCK_SQL, CHANNEL_MEMBER_INSERT_SQL, channelListName, channelListSql } from './sql.js'
import { createSystemPublisher, writeSystemMessage } from '../messages/index.js'


const channelNotFound = () => notFound('Channel not found')

/** C0 and C1 control characters, DEL. */
const CONTROL = /\p{Cc}/u


interface SummaryRow {
  id: string
  name: string | null
  topic: string | null
  owner_id: string | null
  member_count: number
  joined: boolean
  created_at: Date
  activity_at: Date
}

/** Keyset position: member count and id of the last channel on the page. */
function encodeCursor (row: { member_count: number, id: string }): string {
  return Buffer.from(`${row.member_count}|${row.id}`).toString('base64url')
}

function decodeCursor (cursor: string): { count: number, id: string } {
  const [count, id] = Buffer.from(cursor, 'base64url').toString().split('|')
  const n = Number(count)
  if (id === undefined || !/^\d{1,10}$/.test(count ?? '') || n > 2_147_483_647 || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw validation('cursor: invalid cursor')
  }
  return { count: n, id: id.toLowerCase() }
}

/** `q` as a LIKE pattern that matches it literally anywhere (%, _ and \ escaped). */
const containing = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * Public channels: create, discover, join. Leaving (and removal by the owner or an admin) is
 * the groups' route (the groups module), which accepts channels. Every join locks the channel's
 * row (the lock sends and member changes take), so CHANNEL_MAX_MEMBERS holds under races and
 * the member count (kept by a trigger on conversation_members) moves in the same transaction.
 */
export function createChannelService (deps: ConversationsDeps, conversations: ConversationService) {
  const { prisma, limits } = deps
  const publishSystem = createSystemPublisher(deps)

  return {
    async create (ownerId: string, input: { name: string, topic?: string }): Promise<ConversationView> {
      const name = requireLabel('name', input.name, CHANNEL_NAME_MAX)
      const topic = input.topic === undefined ? null : requireLabel('topic', input.topic, CHANNEL_TOPIC_MAX)
      const id = randomUUID()
      try {
        await prisma.conversation.create({
          data: { id, type: 'channel', name, topic, ownerId, members: { create: [{ userId: ownerId, role: 'owner' }] } }
        })
      } catch (err) {
        // The only user named is the caller: a deleted account's token.
        if (isForeignKeyViolation(err)) throw Errors.invalidToken()
        throw err
      }
      deps.delivery.joinChannel([ownerId], id)
      await conversations.announce(id, [ownerId])
      return await conversations.view(id, ownerId)
    },

    /**
     * Channels by most members first (then id), `q` a case-insensitive substring of the name;
     * keyset paging on (member_count, id) through conversations_type_member_count_id_idx.
     */
    async list (userId: string, opts: { q?: string, limit?: number, cursor?: string }): Promise<{ channels: ChannelSummary[], nextCursor?: string }> {
      const limit = opts.limit ?? 20
      const q = opts.q?.trim() ?? ''
      if (CONTROL.test(q)) throw validation('q must not contain control characters')
      const at = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor)
      const values: unknown[] = [userId]
      if (q !== '') values.push(containing(q))
      if (at !== undefined) values.push(at.count, at.id)
      values.push(limit + 1)
      const rows = await deps.sql.query<SummaryRow>(channelListSql(q !== '', at !== undefined), values, channelListName(q !== '', at !== undefined))
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return {
        channels: page.map((r) => ({
          id: r.id,
          name: r.name ?? '',
          topic: r.topic,
          ownerId: r.owner_id,
          memberCount: r.member_count,
          joined: r.joined,
          createdAt: r.created_at.toISOString(),
          lastActivityAt: r.activity_at.toISOString()
        })),
        ...(rows.length > limit && last !== undefined ? { nextCursor: encodeCursor(last) } : {})
      }
    },

    /**
     * Joins a channel: a group's or a direct conversation's id is NOT_FOUND like an unknown
     * one (nothing about private conversations leaks); already a member is a no-op answering
     * the channel; a banned user (removed by the owner or an admin) is FORBIDDEN; a full
     * channel is CONFLICT. Newcomers start caught up (old messages are readable, not unread).
     */
    async join (userId: string, channelId: string): Promise<ConversationView> {
      const joined = await prisma.$transaction(async (tx): Promise<string | undefined> => {
        const [c] = await txSql(tx).query<{ type: string, last_seq: number, member_count: number }>(CHANNEL_LOCK_SQL, [channelId])
        if (c === undefined || c.type !== 'channel') throw channelNotFound()
        // Each statement of the transaction is a round trip while the channel's lock is held
        // (sends to the channel wait on it): the two checks are one, the insert plain SQL.
        if (await isMemberElseRefuseIfBanned(tx, channelId, userId)) return undefined
        if (c.member_count >= limits.channelMaxMembers) throw conflict(`Channel is full (at most ${limits.channelMaxMembers} members)`)
        try {
          // Caught up to their own join notice (the system message below takes last_seq + 1).
          await txSql(tx).execute(CHANNEL_MEMBER_INSERT_SQL, [channelId, userId, c.last_seq + 1])
        } catch (err) {
          if (isForeignKeyViolation(err)) throw Errors.invalidToken()
          throw err
        }
        // The members' record of the arrival (section 3): a `member_joined` system message.
        return await writeSystemMessage(tx, channelId, { event: 'member_joined', actorId: userId })
      })
      if (joined !== undefined) deps.delivery.joinChannel([userId], channelId)
      const view = await conversations.view(channelId, userId)
      if (joined !== undefined) {
        // The notice's fan-out is one emit to a room of up to CHANNEL_MAX_MEMBERS sockets
        // (milliseconds of CPU at 5,000): done after the answer, so the joiner does not wait
        // for it. It is committed; a device that misses it live gets it from sync.
        void (async () => {
          await publishSystem([joined])
          // Only the newcomer's devices: a channel's members are not told of every arrival.
          await conversations.announce(channelId, [userId])
        })().catch((err: unknown) => { deps.log?.warn({ err, channelId }, 'announcing a channel join failed (clients catch up with sync)') })
      }
      return view
    },

    /** The channels a user is a member of (their sockets join these rooms at connect). */
    async idsOf (userId: string): Promise<string[]> {
      // Runs for every socket at connect (a reconnect storm: thousands a second), hence a
      // prepared statement rather than Prisma's $queryRaw (~0.4 ms of CPU a call in a storm).
      const rows = await deps.sql.query<{ id: string }>(CHANNEL_IDS_OF_SQL, [userId], 'channel_ids_of')
      return rows.map((r) => r.id)
    }
  }
}

export type ChannelService = ReturnType<typeof createChannelService>
