import { reportBatch } from '../../lib/send-stats.js'
import type { SqlClient } from '../../db/drivers.js'
import { isUniqueViolation } from '../../db/constraint-errors.js'
import { createGroupCommit } from '../../lib/group-commit.js'
import { uuidv7 } from '../../lib/uuid.js'
import type { MessageType } from '../conversations/index.js'
import { THREAD_CTES, THREAD_ROOT_CHECK } from './sql.js'

export interface Outgoing {
  senderId: string
  clientMsgId: string
  type: MessageType
  content: unknown
  /** Reply and forward snapshots and mentions, already checked by the caller; absent on plain sends. */
  replyTo?: unknown
  mentions?: string[]
  forwardedFrom?: unknown
  /** The URL to fetch a link preview for after the commit (its outbox row is written by the same statement). */
  linkPreviewUrl?: string
  /** Threads: the message this reply names as its root (checked and resolved by the statement) and whether it also goes to the chat. */
  threadRootId?: string
  alsoInChat?: boolean
}

/** A stored message as the send statement returns it. */
export interface Stored {
  id: string
  seq: number
  rev: number
  createdAt: Date
  sender: { username: string, displayName: string, avatarUrl: string | null }
  /** Empty for a channel: its message goes to the channel's room. */
  memberIds: string[]
  conversationType: 'direct' | 'group' | 'channel'
  /** A thread reply: its root's summary and rev after this statement. */
  thread?: StoredThread
}

/** A root's summary as the send statement left it. */
export interface StoredThread { rootId: string, rootRev: number, replyCount: number, lastReplySeq: number, lastReplyAt: Date, lastRepliers: string[] }

/** `undefined`: not stored (a repeat, or the sender may not post here); the caller finds out which. */
export type Outcome = Stored | undefined

interface Row {
  n: number
  id: string
  conversation_id: string
  seq: number
  rev: number
  created_at: Date
  username: string
  display_name: string
  avatar_url: string | null
  conversation_type: 'direct' | 'group' | 'channel'
  /** Only on the first row of each conversation (a big group's list is not repeated per message). */
  member_ids: string[] | null
  root_id: string | null
  root_rev: number | null
  reply_count: number | null
  last_reply_seq: number | null
  last_reply_at: Date | null
  last_repliers: string[] | null
}

function toStoredThread (r: Row): StoredThread {
  return { rootId: r.root_id ?? '', rootRev: r.root_rev ?? 0, replyCount: r.reply_count ?? 0, lastReplySeq: r.last_reply_seq ?? 0, lastReplyAt: r.last_reply_at ?? new Date(0), lastRepliers: r.last_repliers ?? [] }
}

const json = (v: unknown): string | null => v === undefined || v === null ? null : JSON.stringify(v)

interface Pending { conversationId: string, item: Outgoing }

export interface SenderOptions {
  /** Statements in flight at once on this node. */
  concurrency: number
  /** Upper bound on messages stored by one statement. */
  maxBatch?: number
  /** Sends waiting beyond this are refused with RATE_LIMITED at once instead of queueing. */
  maxQueued?: number
}

/**
 * The send statement, for any number of messages in any number of conversations. Per input
 * row: authorise the sender (a member; in a direct conversation still a friend of the peer
 * named in direct_key, no block either way), skip a (sender, clientMsgId) already stored,
 * take consecutive seqs per conversation under the conversation's row lock, insert, move
 * each sender's own cursors to their last message, return the sender's public fields and,
 * once per conversation, the member list for the fan-out (not for a channel: its messages go
 * to the channel's room, so its thousands of members are not read per message). Each message also takes the
 * conversation's next rev (creation is a change: sync by rev sees it); seq and rev move by
 * the same count, so one UPDATE serves both. The optional columns (reply_to, mentions,
 * forwarded_from) travel as text[] of JSON, NULL on plain sends.
 *
 * The row locks are taken up front in id order, so two statements sharing conversations
 * (two nodes, or two batches of one node) wait for each other instead of deadlocking.
 * The text is fixed (arrays, not one placeholder per message) so it is prepared once per
 * connection. Types travel as text[] (cast per row) to keep the parameter list uniform.
 * The generic plan assumes ~10 input rows and is planned once per connection, maybe while
 * the tables are small; `OFFSET 0` keeps the membership and repeat checks per-row index
 * probes instead of hash joins over whole tables (seen in EXPLAIN on a fresh database).
 * Message ids are UUIDv7, so inserts go to the right edge of the primary-key index.
 * A message some other member could get a Web Push for also gets its push_outbox row here, in
 * the same statement (the outbox is drained by RELAY_SQL in src/modules/push/delivery.ts): no subscriptions among the members, no row.
 * A text whose first URL gets a link preview ($10) gets its link_preview_outbox row here too
 * (drained by src/modules/link-previews/sql.ts's relay): the fetch exists iff the message committed.
 * A thread reply ($11: the message it names as root; $12: also in the chat) has its root
 * checked and resolved here (THREAD_ROOT_CHECK: seen by the sender, same conversation, not a
 * system message, a reply's root for a reply; no row when it fails, and threads.rootFor says
 * why), and moves its root's summary and follows (THREAD_CTES in sql.ts); both only in
 * SEND_THREAD_SQL, the text used for a batch holding a reply. The conversation's rev moves by
 * one more per distinct root, which the root's summary takes (not the root's messages row).
 */
const UNNEST = `unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::uuid[], $12::bool[])`
const PLAIN_INPUT = `input AS (
  SELECT * FROM ${UNNEST}
    WITH ORDINALITY AS i(id, conversation_id, sender_id, client_msg_id, type, content, reply_to, mentions, forwarded_from, link_preview_url, thread_root_id, thread_in_chat, n)
)`
/** A batch with replies: each named root resolved in the statement (THREAD_ROOT_CHECK), `named_root` kept to refuse a reply whose root did not resolve. */
const THREAD_INPUT = `named AS (
  SELECT * FROM ${UNNEST}
    WITH ORDINALITY AS i(id, conversation_id, sender_id, client_msg_id, type, content, reply_to, mentions, forwarded_from, link_preview_url, named_root, thread_in_chat, n)
), input AS (
  SELECT i.id, i.conversation_id, i.sender_id, i.client_msg_id, i.type, i.content, i.reply_to, i.mentions, i.forwarded_from, i.link_preview_url,
    rt.root_id AS thread_root_id, i.thread_in_chat, i.n, i.named_root
  FROM named i LEFT JOIN LATERAL (${THREAD_ROOT_CHECK}) rt ON i.named_root IS NOT NULL
)`

function sendSql (threads: boolean): string {
  return `
WITH ${threads ? THREAD_INPUT : PLAIN_INPUT}, target AS (
  SELECT cv.id, cv.type, cv.direct_key
  FROM (SELECT DISTINCT unnest($2::uuid[]) AS id) t
  CROSS JOIN LATERAL (SELECT c.id, c.type, c.direct_key FROM conversations c WHERE c.id = t.id) cv
  ORDER BY cv.id
  FOR UPDATE OF cv
), ok AS (
  SELECT i.*, row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.n) AS k
  FROM input i JOIN target cv ON cv.id = i.conversation_id
  WHERE EXISTS (SELECT 1 FROM conversation_members s WHERE s.conversation_id = cv.id AND s.user_id = i.sender_id OFFSET 0)
    AND (cv.type <> 'direct' OR EXISTS (
      SELECT 1 FROM friendships f
      WHERE f.user_id = i.sender_id
        AND f.friend_id = (CASE WHEN split_part(cv.direct_key, ':', 1) = i.sender_id::text
          THEN split_part(cv.direct_key, ':', 2) ELSE split_part(cv.direct_key, ':', 1) END)::uuid
        AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = i.sender_id AND b.blocked_id = f.friend_id)
          OR (b.blocker_id = f.friend_id AND b.blocked_id = i.sender_id))))
    AND NOT EXISTS (SELECT 1 FROM messages d WHERE d.sender_id = i.sender_id AND d.client_msg_id = i.client_msg_id OFFSET 0)${threads ? `
    AND (i.named_root IS NULL OR i.thread_root_id IS NOT NULL)` : ''}
), counts AS (
  SELECT conversation_id, count(*)::int AS cnt, count(DISTINCT thread_root_id)::int AS roots FROM ok GROUP BY conversation_id
), c AS (
  UPDATE conversations cv SET last_seq = cv.last_seq + counts.cnt, last_rev = cv.last_rev + counts.cnt + counts.roots, last_message_at = now(), updated_at = now()
  FROM counts WHERE cv.id = counts.conversation_id
  RETURNING cv.id, cv.last_seq - counts.cnt AS base, cv.last_rev - counts.cnt - counts.roots AS rev_base, counts.cnt
), ins AS (
  INSERT INTO messages (id, conversation_id, seq, rev, sender_id, client_msg_id, type, content, reply_to, mentions, forwarded_from, link_preview_url, thread_root_id, thread_in_chat)
  SELECT ok.id, ok.conversation_id, c.base + ok.k, c.rev_base + ok.k, ok.sender_id, ok.client_msg_id, ok.type::message_type, ok.content::jsonb,
    ok.reply_to::jsonb, ok.mentions::jsonb, ok.forwarded_from::jsonb, ok.link_preview_url, ok.thread_root_id, COALESCE(ok.thread_in_chat, false)
  FROM ok JOIN c ON c.id = ok.conversation_id
  RETURNING id, conversation_id, seq, rev, sender_id, created_at, link_preview_url, thread_root_id
), own AS (
  UPDATE conversation_members m SET read_seq = GREATEST(m.read_seq, x.seq), delivered_seq = GREATEST(m.delivered_seq, x.seq)
  FROM (SELECT conversation_id, sender_id, max(seq) AS seq FROM ins GROUP BY conversation_id, sender_id) x
  WHERE m.conversation_id = x.conversation_id AND m.user_id = x.sender_id
), push AS (
  INSERT INTO push_outbox (message_id)
  SELECT ins.id FROM ins
  WHERE EXISTS (SELECT 1 FROM push_subscriptions ps JOIN conversation_members pm ON pm.user_id = ps.user_id
    WHERE pm.conversation_id = ins.conversation_id AND ps.user_id <> ins.sender_id)
), previews AS (
  INSERT INTO link_preview_outbox (message_id, url)
  SELECT ins.id, ins.link_preview_url FROM ins WHERE ins.link_preview_url IS NOT NULL
)${threads ? THREAD_CTES : ''}
SELECT ok.n::int AS n, ins.id, ins.conversation_id, ins.seq, ins.rev, ins.created_at, u.username, u.display_name, u.avatar_url,
  tg.type::text AS conversation_type,
  CASE WHEN ok.k = 1 AND tg.type <> 'channel' THEN ARRAY(SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = ins.conversation_id) END AS member_ids,
  ${threads
    ? 'ths.root_id, ths.rev AS root_rev, ths.reply_count, ths.last_reply_seq, ths.last_reply_at, ths.last_repliers'
    : 'NULL::uuid AS root_id, NULL::int AS root_rev, NULL::int AS reply_count, NULL::int AS last_reply_seq, NULL::timestamptz AS last_reply_at, NULL::uuid[] AS last_repliers'}
FROM ins JOIN ok ON ok.id = ins.id JOIN users u ON u.id = ins.sender_id JOIN target tg ON tg.id = ins.conversation_id
${threads ? 'LEFT JOIN ths ON ths.root_id = ins.thread_root_id' : ''}`
}

/** Batches without a thread reply: no thread part, so a plain message pays nothing for threads (BENCHMARKS.md, "Threads"). */
export const SEND_SQL = sendSql(false)
/** Batches with at least one thread reply. */
export const SEND_THREAD_SQL = sendSql(true)

/**
 * Stores messages with gap-free seqs, as a group commit (src/lib/group-commit.ts): sends
 * that arrive while `concurrency` statements are in flight wait and go together (across
 * conversations) in the next statement, each acked only after that statement committed.
 *
 * A conversation is in at most one statement at a time on a node, so one sender's messages
 * get seqs in the order they were sent.
 */
export function createMessageSender (sql: SqlClient, opts: SenderOptions) {
  const toStored = (r: Row, memberIds: string[]): Stored => ({
    id: r.id,
    seq: r.seq,
    rev: r.rev,
    createdAt: r.created_at,
    sender: { username: r.username, displayName: r.display_name, avatarUrl: r.avatar_url },
    memberIds,
    conversationType: r.conversation_type,
    ...(r.root_id === null ? {} : { thread: toStoredThread(r) })
  })

  /** Outcomes in input order. */
  async function store (batch: Pending[], attempt = 1): Promise<Outcome[]> {
    try {
      const threads = batch.some((p) => p.item.threadRootId !== undefined)
      const rows = await sql.query<Row>(threads ? SEND_THREAD_SQL : SEND_SQL, [
        batch.map(() => uuidv7()),
        batch.map((p) => p.conversationId),
        batch.map((p) => p.item.senderId),
        batch.map((p) => p.item.clientMsgId),
        batch.map((p) => p.item.type),
        batch.map((p) => JSON.stringify(p.item.content)),
        batch.map((p) => json(p.item.replyTo)),
        batch.map((p) => p.item.mentions === undefined || p.item.mentions.length === 0 ? null : JSON.stringify(p.item.mentions)),
        batch.map((p) => json(p.item.forwardedFrom)),
        batch.map((p) => p.item.linkPreviewUrl ?? null),
        batch.map((p) => p.item.threadRootId ?? null),
        batch.map((p) => p.item.alsoInChat ?? null)
      ], threads ? 'message_send_thread' : 'message_send')
      const members = new Map<string, string[]>()
      for (const r of rows) if (r.member_ids !== null) members.set(r.conversation_id, r.member_ids)
      const byN = new Map(rows.map((r) => [r.n, r]))
      return batch.map((_, i) => {
        const r = byN.get(i + 1)
        return r === undefined ? undefined : toStored(r, members.get(r.conversation_id) ?? [])
      })
    } catch (err) {
      // A copy of one of them, sent through another node, committed while this statement
      // waited for a row lock. Nothing was written; run again and the pre-check skips it.
      if (!isUniqueViolation(err) || attempt >= 3) throw err
      return await store(batch, attempt + 1)
    }
  }

  /** One batch: the same (sender, clientMsgId) twice in it is stored once, the rest are repeats. */
  async function commit (batch: Pending[]): Promise<Outcome[]> {
    const seen = new Set<string>()
    const first = batch.map((p) => {
      const key = `${p.item.senderId}\n${p.item.clientMsgId}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    const outcomes = await store(batch.filter((_, i) => first[i]))
    let k = 0
    return batch.map((_, i) => first[i] === true ? outcomes[k++] : undefined)
  }

  const group = createGroupCommit<Pending, Outcome>({
    commit,
    concurrency: opts.concurrency,
    maxBatch: opts.maxBatch ?? 200,
    maxQueued: opts.maxQueued ?? 20_000,
    busyMessage: 'Server busy, retry the send',
    keyOf: (p) => p.conversationId,
    onBatch: reportBatch
  })

  return {
    /** Stores one message; resolves once its statement committed. */
    send: async (conversationId: string, item: Outgoing): Promise<Outcome> => await group.submit({ conversationId, item }),
    /** Statements in flight and sends waiting; for tests and metrics. */
    stats: group.stats
  }
}

export type MessageSender = ReturnType<typeof createMessageSender>
