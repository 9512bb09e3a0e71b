import { randomUUID } from 'node:crypto'
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js'
import type { MessageType } from './schemas.js'
import { isUniqueViolation } from './rows.js'

export interface Outgoing { senderId: string, clientMsgId: string, type: MessageType, content: unknown }

/** A stored message as the send statement returns it. */
export interface Stored {
  id: string
  seq: number
  createdAt: Date
  sender: { username: string, displayName: string, avatarUrl: string | null }
  memberIds: string[]
}

/** `undefined`: not stored (a repeat, or the sender may not post here); the caller finds out which. */
export type Outcome = Stored | undefined

interface Row {
  n: number
  id: string
  seq: number
  created_at: Date
  username: string
  display_name: string
  avatar_url: string | null
  member_ids: string[]
}

interface Pending { item: Outgoing, resolve: (o: Outcome) => void, reject: (err: unknown) => void }

/** Upper bound on messages stored by one statement. */
const MAX_BATCH = 100

/**
 * Stores messages with gap-free seqs. Per conversation, at most one statement is in flight
 * on this node; sends that arrive meanwhile go together in the next statement. A quiet
 * conversation therefore pays no extra latency, a busy one holds the conversation's row
 * lock once per batch instead of once per message, and one hot conversation cannot take
 * every pooled connection from the others.
 */
export function createMessageSender (prisma: PrismaClient) {
  /** A key is present while a statement for that conversation is in flight; the value is who waits. */
  const lanes = new Map<string, Pending[]>()

  /**
   * `sender` may post in conversation `cv`: a member, and in a direct conversation still a
   * friend of the peer named in its direct_key (so the peer exists) with no block either way.
   */
  const mayPost = (sender: Prisma.Sql): Prisma.Sql => Prisma.sql`
    EXISTS (SELECT 1 FROM conversation_members s WHERE s.conversation_id = cv.id AND s.user_id = ${sender})
    AND (cv.type = 'group' OR EXISTS (
      SELECT 1 FROM friendships f
      WHERE f.user_id = ${sender}
        AND f.friend_id = (CASE WHEN split_part(cv.direct_key, ':', 1) = ${sender}::text
          THEN split_part(cv.direct_key, ':', 2) ELSE split_part(cv.direct_key, ':', 1) END)::uuid
        AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = ${sender} AND b.blocked_id = f.friend_id)
          OR (b.blocker_id = f.friend_id AND b.blocked_id = ${sender}))))`

  /**
   * One statement for one message (the common case; cheaper to plan than the batch form):
   * authorise, skip a stored repeat, take the next seq under the conversation's row lock,
   * insert, move the sender's own cursors, return the sender and the member list.
   */
  async function insertOne (conversationId: string, item: Outgoing): Promise<Row[]> {
    const sender = Prisma.sql`${item.senderId}::uuid`
    return await prisma.$queryRaw<Row[]>`
      WITH c AS (
        UPDATE conversations cv SET last_seq = cv.last_seq + 1, last_message_at = now(), updated_at = now()
        WHERE cv.id = ${conversationId}::uuid AND ${mayPost(sender)}
          AND NOT EXISTS (SELECT 1 FROM messages d WHERE d.sender_id = ${sender} AND d.client_msg_id = ${item.clientMsgId})
        RETURNING cv.last_seq
      ), ins AS (
        INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, type, content)
        SELECT ${randomUUID()}::uuid, ${conversationId}::uuid, c.last_seq, ${sender}, ${item.clientMsgId},
          ${item.type}::message_type, ${JSON.stringify(item.content)}::jsonb
        FROM c
        RETURNING id, seq, created_at
      ), own AS (
        UPDATE conversation_members m SET read_seq = GREATEST(m.read_seq, c.last_seq), delivered_seq = GREATEST(m.delivered_seq, c.last_seq)
        FROM c WHERE m.conversation_id = ${conversationId}::uuid AND m.user_id = ${sender}
      )
      SELECT 1 AS n, ins.id, ins.seq, ins.created_at, u.username, u.display_name, u.avatar_url,
        ARRAY(SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = ${conversationId}::uuid) AS member_ids
      FROM ins JOIN users u ON u.id = ${sender}`
  }

  /**
   * The same for a batch: authorise each sender, skip stored repeats, take `count` seqs
   * under the row lock at once, insert, move each sender's cursors to their last message.
   * (Types travel as text[]: the PGlite adapter cannot bind enum arrays.)
   */
  async function insertMany (conversationId: string, items: Outgoing[]): Promise<Row[]> {
    return await prisma.$queryRaw<Row[]>`
      WITH input AS (
        SELECT * FROM unnest(${items.map(() => randomUUID())}::uuid[], ${items.map((i) => i.senderId)}::uuid[],
          ${items.map((i) => i.clientMsgId)}::text[], ${items.map((i) => i.type)}::text[],
          ${items.map((i) => JSON.stringify(i.content))}::text[])
          WITH ORDINALITY AS i(id, sender_id, client_msg_id, type, content, n)
      ), ok AS (
        SELECT i.*, row_number() OVER (ORDER BY i.n) AS k
        FROM input i JOIN conversations cv ON cv.id = ${conversationId}::uuid
        WHERE ${mayPost(Prisma.raw('i.sender_id'))}
          AND NOT EXISTS (SELECT 1 FROM messages d WHERE d.sender_id = i.sender_id AND d.client_msg_id = i.client_msg_id)
      ), c AS (
        UPDATE conversations cv SET last_seq = cv.last_seq + (SELECT count(*) FROM ok), last_message_at = now(), updated_at = now()
        WHERE cv.id = ${conversationId}::uuid AND EXISTS (SELECT 1 FROM ok)
        RETURNING cv.last_seq - (SELECT count(*) FROM ok) AS base
      ), ins AS (
        INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, type, content)
        SELECT ok.id, ${conversationId}::uuid, c.base + ok.k, ok.sender_id, ok.client_msg_id, ok.type::message_type, ok.content::jsonb
        FROM ok CROSS JOIN c
        RETURNING id, seq, sender_id, created_at
      ), own AS (
        UPDATE conversation_members m SET read_seq = GREATEST(m.read_seq, x.seq), delivered_seq = GREATEST(m.delivered_seq, x.seq)
        FROM (SELECT sender_id, max(seq) AS seq FROM ins GROUP BY sender_id) x
        WHERE m.conversation_id = ${conversationId}::uuid AND m.user_id = x.sender_id
      )
      SELECT ok.n::int AS n, ins.id, ins.seq, ins.created_at, u.username, u.display_name, u.avatar_url,
        ARRAY(SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = ${conversationId}::uuid) AS member_ids
      FROM ins JOIN ok ON ok.id = ins.id JOIN users u ON u.id = ins.sender_id
      ORDER BY ins.seq`
  }

  const toStored = (r: Row): Stored => ({
    id: r.id,
    seq: r.seq,
    createdAt: r.created_at,
    sender: { username: r.username, displayName: r.display_name, avatarUrl: r.avatar_url },
    memberIds: r.member_ids
  })

  /** Outcomes in input order. */
  async function store (conversationId: string, items: Outgoing[], attempt = 1): Promise<Outcome[]> {
    try {
      const rows = items.length === 1 ? await insertOne(conversationId, items[0]!) : await insertMany(conversationId, items)
      const byN = new Map(rows.map((r) => [r.n, r]))
      return items.map((_, i) => { const r = byN.get(i + 1); return r === undefined ? undefined : toStored(r) })
    } catch (err) {
      // A copy of one of them, sent through another node, committed while this statement
      // waited for the row lock. Nothing was written; run again and the pre-check skips it.
      if (!isUniqueViolation(err) || attempt >= 3) throw err
      return await store(conversationId, items, attempt + 1)
    }
  }

  async function run (conversationId: string, batch: Pending[]): Promise<void> {
    try {
      // The same (sender, clientMsgId) twice in one batch: store the first, the rest are repeats.
      const firstOf = new Map<string, number>()
      const unique: Outgoing[] = []
      const slot = batch.map(({ item }) => {
        const key = `${item.senderId}\n${item.clientMsgId}`
        let at = firstOf.get(key)
        if (at === undefined) { at = unique.push(item) - 1; firstOf.set(key, at) }
        return at
      })
      const outcomes = await store(conversationId, unique)
      const settled = new Set<number>()
      batch.forEach((p, i) => {
        const at = slot[i] ?? 0
        p.resolve(settled.has(at) ? undefined : outcomes[at])
        settled.add(at)
      })
    } catch (err) {
      for (const p of batch) p.reject(err)
    } finally {
      const waiting = lanes.get(conversationId) ?? []
      if (waiting.length === 0) lanes.delete(conversationId)
      else void run(conversationId, waiting.splice(0, MAX_BATCH))
    }
  }

  return {
    /** Stores one message; resolves once its statement committed. */
    async send (conversationId: string, item: Outgoing): Promise<Outcome> {
      return await new Promise<Outcome>((resolve, reject) => {
        const waiting = lanes.get(conversationId)
        if (waiting !== undefined) {
          waiting.push({ item, resolve, reject })
          return
        }
        lanes.set(conversationId, [])
        void run(conversationId, [{ item, resolve, reject }])
      })
    },
    /** Statements in flight (one per busy conversation); for tests and metrics. */
    busyConversations: () => lanes.size
  }
}

export type MessageSender = ReturnType<typeof createMessageSender>
