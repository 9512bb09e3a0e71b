import { audienceOf, blindTo, inTimeline, MESSAGE_BY_ID_SQL, MESSAGE_COLUMNS, visibleTo } from '../conversations/index.js'

/*
 * The messages module's named SQL statements (README.md, "Project layout": data access), run
 * through SqlClient.query: `app.sql` with the name given at the call, or txSql(tx) inside a
 * Prisma transaction. The send statement lives in send-statement.ts with its group commit.
 */

// Sending

/** A sender's message by its clientMsgId (a repeat's original). */
export const MESSAGE_BY_CLIENT_ID_SQL = `SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
      WHERE x.sender_id = $1::uuid AND x.client_msg_id = $2`

// History and sync

/** Only the caller's visible messages (`m` is their membership row): the visibility rule. */
const VISIBLE = visibleTo('x', 'm')
/** The main timeline: thread replies only when also sent to the chat (docs/protocol.md, "Threads"). */
const IN_TIMELINE = inTimeline('x')

/**
 * Retention: where the conversation's history starts, as a column of every page row (an
 * InitPlan, read once per statement): the page and its `historyStartsAt` come from one
 * snapshot, in one round trip instead of a second statement per page.
 */
const HISTORY_START_COLUMN = '(SELECT hc.history_start_seq FROM conversations hc WHERE hc.id = $1::uuid) AS history_start_seq'

export const HISTORY_BEFORE_SQL = `
SELECT ${MESSAGE_COLUMNS}, ${HISTORY_START_COLUMN} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.conversation_id = $1::uuid AND x.seq < $3::int AND ${VISIBLE} AND ${IN_TIMELINE}
ORDER BY x.seq DESC LIMIT $4::int`

export const HISTORY_AFTER_SQL = `
SELECT ${MESSAGE_COLUMNS}, ${HISTORY_START_COLUMN} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.conversation_id = $1::uuid AND x.seq > $3::int AND ${VISIBLE} AND ${IN_TIMELINE}
ORDER BY x.seq ASC LIMIT $4::int`

/** Retention: the seq history starts at (messages below it were purged); for an empty page. */
export const HISTORY_START_SQL = 'SELECT history_start_seq FROM conversations WHERE id = $1::uuid'

/** A channel's history for a non-member (public; nothing is hidden or cleared for them). */
export const PUBLIC_HISTORY_BEFORE_SQL = `
SELECT ${MESSAGE_COLUMNS}, ${HISTORY_START_COLUMN} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.conversation_id = $1::uuid AND x.seq < $2::int AND ${IN_TIMELINE}
ORDER BY x.seq DESC LIMIT $3::int`

export const PUBLIC_HISTORY_AFTER_SQL = `
SELECT ${MESSAGE_COLUMNS}, ${HISTORY_START_COLUMN} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.conversation_id = $1::uuid AND x.seq > $2::int AND ${IN_TIMELINE}
ORDER BY x.seq ASC LIMIT $3::int`

/** Messages after each cursor, in the conversations the caller is a member of; conversation id then seq. */
export const SYNC_SQL = `
SELECT ${MESSAGE_COLUMNS}
FROM unnest($1::uuid[], $2::int[]) AS cur(conversation_id, after_seq)
JOIN conversation_members m ON m.conversation_id = cur.conversation_id AND m.user_id = $3::uuid
CROSS JOIN LATERAL (
  SELECT * FROM messages y WHERE y.conversation_id = cur.conversation_id AND y.seq > cur.after_seq AND ${visibleTo('y', 'm')}
  ORDER BY y.seq LIMIT $4::int
) x
JOIN users u ON u.id = x.sender_id
ORDER BY x.conversation_id, x.seq
LIMIT $4::int`

/**
 * Messages changed after each device's last rev, at or below its seq cursor (newer ones come
 * in `messages` anyway), oldest change first per conversation. A change is a message's own rev
 * (index conversation_id, rev) or a thread root's summary rev (thread_summaries, index
 * conversation_id, rev: a reply moves that, not the root's row); `change_rev` says which one
 * brought the row. A root whose row and summary both moved comes twice (each a change;
 * sync.ts keeps one), so a cut page is complete up to its last change_rev.
 */
export const SYNC_UPDATED_SQL = `
SELECT ${MESSAGE_COLUMNS}, ch.change_rev
FROM unnest($1::uuid[], $2::int[], $3::int[]) AS cur(conversation_id, upto_seq, after_rev)
JOIN conversation_members m ON m.conversation_id = cur.conversation_id AND m.user_id = $4::uuid
CROSS JOIN LATERAL (
  SELECT z.id, z.change_rev FROM (
    (SELECT y.id, y.rev AS change_rev FROM messages y WHERE y.conversation_id = cur.conversation_id AND y.rev > cur.after_rev
      AND y.seq <= cur.upto_seq AND ${visibleTo('y', 'm')}
    ORDER BY y.rev LIMIT $5::int)
    UNION ALL
    (SELECT y.id, ts.rev FROM thread_summaries ts JOIN messages y ON y.id = ts.root_id
      WHERE ts.conversation_id = cur.conversation_id AND ts.rev > cur.after_rev AND y.seq <= cur.upto_seq AND ${visibleTo('y', 'm')}
    ORDER BY ts.rev LIMIT $5::int)
  ) z ORDER BY z.change_rev LIMIT $5::int
) ch
JOIN messages x ON x.id = ch.id
JOIN users u ON u.id = x.sender_id
ORDER BY x.conversation_id, ch.change_rev
LIMIT $5::int`

/** The last rev of each listed conversation the caller is a member of. */
export const SYNC_REVS_SQL = `
SELECT c.id, c.last_rev, c.history_start_seq FROM conversations c
JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2::uuid
WHERE c.id = ANY($1::uuid[])`

/**
 * The caller's ($1) clock and their memberships numbered after $2 (`joined_clock`, see
 * migration 20261206020000_membership_clock), less the listed conversations ($3), in number
 * order, at most $4. One statement, so the clock and the rows come from one snapshot: a
 * membership numbered at or below the clock is committed and in it (one row with a null id
 * when none is new).
 */
export const SYNC_MEMBERSHIPS_SQL = `
SELECT u.membership_clock, j.id, j.joined_clock
FROM users u LEFT JOIN LATERAL (
  SELECT m.conversation_id AS id, m.joined_clock FROM conversation_members m
  WHERE m.user_id = u.id AND m.joined_clock > $2::int AND NOT (m.conversation_id = ANY($3::uuid[]))
  ORDER BY m.joined_clock LIMIT $4::int
) j ON true
WHERE u.id = $1::uuid
ORDER BY j.joined_clock`

// Pins

export const PINS_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.conversation_id = $1::uuid AND x.pinned_at IS NOT NULL AND ${visibleTo('x', 'm')}
ORDER BY x.pinned_at DESC, x.seq DESC`

// The change stream (change-stream.ts), in its transaction

/** The conversation's row lock, taken first ($1: the message). */
export const CHANGE_LOCK_SQL = `
        SELECT c.id FROM conversations c WHERE c.id = (SELECT conversation_id FROM messages WHERE id = $1::uuid) FOR UPDATE`

/** The message with the caller's role ($2), if the caller sees it. */
export const CHANGE_TARGET_SQL = `
        SELECT x.id, x.conversation_id, x.seq, x.sender_id, x.type::text AS type, x.content, x.rev, x.recalled_at, x.pinned_at,
          extract(epoch FROM now() - x.created_at)::float8 AS age_s, c.type::text AS conversation_type, m.role::text AS role
        FROM messages x JOIN conversations c ON c.id = x.conversation_id
        JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
        WHERE x.id = $1::uuid AND ${visibleTo('x', 'm')}`

/** The next rev for message $2 of conversation $1 ($3: its type), and who is told (the visibility rule). */
export const CHANGE_BUMP_SQL = `
          WITH c AS (
            UPDATE conversations SET last_rev = last_rev + 1 WHERE id = $1::uuid RETURNING last_rev
          ), s AS (
            UPDATE messages x SET rev = c.last_rev FROM c WHERE x.id = $2::uuid RETURNING x.id, x.conversation_id, x.seq
          )
          SELECT CASE WHEN $3::text <> 'channel' THEN ${audienceOf('s')} END AS member_ids,
            CASE WHEN $3::text = 'channel' THEN ${blindTo('s')} END AS blind_ids
          FROM s`

// Changes of a message, inside the change stream's transaction

/** The version an edit replaces, for the history table. */
export const EDIT_HISTORY_SQL = `INSERT INTO message_edits (id, message_id, content, rev) VALUES ($1::uuid, $2::uuid, $3::jsonb, $4::int)`
export const EDIT_SQL = `UPDATE messages SET content = $1::jsonb, edited_at = now() WHERE id = $2::uuid`
export const RECALL_SQL = `UPDATE messages SET content = NULL, recalled_at = now(), pinned_at = NULL, pinned_by = NULL, link_preview = NULL, link_preview_url = NULL WHERE id = $1::uuid`
export const PIN_COUNT_SQL = `
            SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1::uuid AND pinned_at IS NOT NULL`
export const PIN_SQL = `UPDATE messages SET pinned_at = now(), pinned_by = $1::uuid WHERE id = $2::uuid`
export const UNPIN_SQL = `UPDATE messages SET pinned_at = NULL, pinned_by = NULL WHERE id = $1::uuid`

// Reactions, group-committed (reaction-batch.ts), inside one transaction per batch

/** The row locks of the conversations of messages $1, in id order (the order every batch takes them). */
export const REACTION_LOCK_SQL = `
SELECT c.id FROM conversations c WHERE c.id IN (SELECT conversation_id FROM messages WHERE id = ANY($1::uuid[])) ORDER BY c.id FOR UPDATE`

/**
 * Per (message $1[i], user $2[i]): the message's conversation, whether it is recalled or a
 * system message, and whether the user sees it (a member; the visibility rule). No row: no
 * such message.
 */
export const REACTION_TARGETS_SQL = `
SELECT i.n::int AS n, x.conversation_id, c.type::text AS conversation_type, x.recalled_at IS NOT NULL AS recalled, x.type::text = 'system' AS system,
  EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = x.conversation_id AND m.user_id = i.user_id AND ${visibleTo('x', 'm')}) AS visible
FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS i(message_id, user_id, n)
JOIN messages x ON x.id = i.message_id JOIN conversations c ON c.id = x.conversation_id`

/** Per message of $1 and emoji: how many hold it, and which of users $2 do. */
export const REACTION_COUNTS_SQL = `
SELECT r.message_id, r.emoji, count(*)::int AS n, coalesce(array_agg(r.user_id) FILTER (WHERE r.user_id = ANY($2::uuid[])), '{}') AS holders
FROM message_reactions r WHERE r.message_id = ANY($1::uuid[]) GROUP BY r.message_id, r.emoji`

/** Removes reactions (message $1[i], emoji $2[i], user $3[i]). */
export const REACTION_DELETE_SQL = `
DELETE FROM message_reactions r USING unnest($1::uuid[], $2::text[], $3::uuid[]) AS d(message_id, emoji, user_id)
WHERE r.message_id = d.message_id AND r.emoji = d.emoji AND r.user_id = d.user_id`

/** Adds reactions (message $1[i], emoji $2[i], user $3[i]), in that order (their created_at order within the batch is by user id). */
export const REACTION_INSERT_MANY_SQL = `
INSERT INTO message_reactions (message_id, emoji, user_id) SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[]) ON CONFLICT DO NOTHING`

// Per-member hiding (message-changes.ts)

/** Delete for me: message $3 of conversation $2, if member $1 sees it. */
export const HIDE_SQL = `
        INSERT INTO hidden_messages (user_id, message_id, conversation_id)
        SELECT m.user_id, x.id, x.conversation_id FROM messages x
        JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $1::uuid
        WHERE x.id = $3::uuid AND x.conversation_id = $2::uuid AND ${visibleTo('x', 'm')}
        ON CONFLICT DO NOTHING
        RETURNING message_id`

/** Clear history of conversation $1 for member $2 up to seq $3 (NULL: everything so far); the cursor only moves forward. */
export const CLEAR_SQL = `
        WITH cur AS (
          SELECT c.last_seq FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.conversation_id = $1::uuid AND m.user_id = $2::uuid
        ), upd AS (
          UPDATE conversation_members m SET cleared_seq = GREATEST(m.cleared_seq, coalesce($3::int, cur.last_seq))
          FROM cur WHERE m.conversation_id = $1::uuid AND m.user_id = $2::uuid AND coalesce($3::int, 0) <= cur.last_seq
          RETURNING m.cleared_seq
        )
        SELECT cur.last_seq, upd.cleared_seq FROM cur LEFT JOIN upd ON true`

// Receipts (receipts.ts)

/**
 * Moves member $2's read or delivered cursor in conversation $1 forward to seq $3 (reading
 * drags the delivered cursor along); the member list when it moved (not for a channel).
 */
function moveCursorSql (column: 'read_seq' | 'delivered_seq'): string {
  const alsoDelivered = column === 'read_seq' ? ', delivered_seq = GREATEST(m.delivered_seq, $3::int)' : ''
  return `
      WITH cur AS (
        SELECT m.${column} AS old_seq, c.last_seq, c.type FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.conversation_id = $1::uuid AND m.user_id = $2::uuid
      ), upd AS (
        UPDATE conversation_members m SET ${column} = $3::int ${alsoDelivered}
        FROM cur WHERE m.conversation_id = $1::uuid AND m.user_id = $2::uuid
          AND m.${column} < $3::int AND $3::int <= cur.last_seq
        RETURNING m.${column} AS new_seq
      )
      SELECT cur.type::text AS type, cur.last_seq, cur.old_seq, upd.new_seq,
        CASE WHEN upd.new_seq IS NOT NULL AND cur.type <> 'channel' THEN
          ARRAY(SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = $1::uuid) END AS member_ids
      FROM cur LEFT JOIN upd ON true`
}
export const MOVE_READ_CURSOR_SQL = moveCursorSql('read_seq')
export const MOVE_DELIVERED_CURSOR_SQL = moveCursorSql('delivered_seq')

// System messages (system-messages.ts)

/**
 * A system message in conversation $1: id $2, actor $3, clientMsgId $4, content $5 (JSON),
 * with the conversation's next seq and rev.
 */
export const SYSTEM_MESSAGE_SQL = `
    WITH c AS (
      UPDATE conversations SET last_seq = last_seq + 1, last_rev = last_rev + 1, last_message_at = now(), updated_at = now()
      WHERE id = $1::uuid RETURNING id, last_seq, last_rev
    )
    INSERT INTO messages (id, conversation_id, seq, rev, sender_id, client_msg_id, type, content)
    SELECT $2::uuid, c.id, c.last_seq, c.last_rev, $3::uuid, $4, 'system'::message_type, $5::jsonb
    FROM c RETURNING id`

/** System message $1 in its current state, with whether its conversation is a channel and, if not, its members. */
export const SYSTEM_MESSAGE_PUBLISH_SQL = `SELECT q.*, cv.type = 'channel' AS channel,
           CASE WHEN cv.type <> 'channel' THEN ARRAY(SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = q.conversation_id) END AS member_ids
         FROM (${MESSAGE_BY_ID_SQL}) q JOIN conversations cv ON cv.id = q.conversation_id`

// Polls (polls.ts), inside the change stream's transaction

/** Poll $1 as a vote or close sees it under the lock: closed by someone, and member $2's choice. */
export const POLL_STATE_SQL = `
            SELECT x.poll_closed_at IS NOT NULL AS closed,
              ARRAY(SELECT option_index::int FROM poll_votes WHERE message_id = x.id AND user_id = $2::uuid ORDER BY option_index) AS mine
            FROM messages x WHERE x.id = $1::uuid`
/** Member $2's vote on poll $1 becomes exactly options $3 (kept ones keep their time). */
export const POLL_UNVOTE_SQL = `DELETE FROM poll_votes WHERE message_id = $1::uuid AND user_id = $2::uuid AND option_index <> ALL($3::smallint[])`
export const POLL_VOTE_SQL = `
            INSERT INTO poll_votes (message_id, user_id, option_index) SELECT $1::uuid, $2::uuid, i FROM unnest($3::smallint[]) AS i
            ON CONFLICT DO NOTHING`
export const POLL_CLOSE_SQL = `UPDATE messages SET poll_closed_at = now(), poll_closed_by = $2::uuid WHERE id = $1::uuid`
/** Member $2's own choice in poll $1, if they can see it (the visibility rule). */
export const POLL_MINE_SQL = `
        SELECT ARRAY(SELECT option_index::int FROM poll_votes WHERE message_id = x.id AND user_id = $2::uuid ORDER BY option_index) AS mine
        FROM messages x JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
        WHERE x.id = $1::uuid AND x.type = 'poll' AND ${visibleTo('x', 'm')}`

// Link previews (link-previews.ts), inside the change stream's transaction

/** Attaches preview $3 to message $1 while it still wants one for url $2 (not removed, not edited to another URL). */
export const LINK_PREVIEW_ATTACH_SQL = `
            UPDATE messages SET link_preview = $3::jsonb
            WHERE id = $1::uuid AND link_preview_url = $2 AND recalled_at IS NULL AND link_preview IS DISTINCT FROM $3::jsonb`
/** The sender removes the preview: none attached, none wanted (a queued fetch attaches nothing); no-op when there was neither. */
export const LINK_PREVIEW_REMOVE_SQL = `
            UPDATE messages SET link_preview = NULL, link_preview_url = NULL
            WHERE id = $1::uuid AND (link_preview IS NOT NULL OR link_preview_url IS NOT NULL)`
/** An edit changed the text's first URL: the old preview goes, the new URL (or none) is wanted. */
export const LINK_PREVIEW_RETARGET_SQL = `
            UPDATE messages SET link_preview = NULL, link_preview_url = $2 WHERE id = $1::uuid`
/** The fetch for an edited message's new URL, in the edit's transaction (replacing one still queued). */
export const LINK_PREVIEW_ENQUEUE_SQL = `
            INSERT INTO link_preview_outbox (message_id, url) VALUES ($1::uuid, $2)
            ON CONFLICT (message_id) DO UPDATE SET url = EXCLUDED.url, created_at = now()`
// Threads (threads.ts; docs/protocol.md, "Threads")

/** Up to three distinct user ids of `arr` (a uuid[] expression), first occurrence first. */
const latestThree = (arr: string): string =>
  `(SELECT COALESCE(array_agg(z.u ORDER BY z.o), ARRAY[]::uuid[]) FROM (SELECT q.u, min(q.o) AS o FROM unnest(${arr}) WITH ORDINALITY AS q(u, o) GROUP BY q.u ORDER BY min(q.o) LIMIT 3) z)`

/**
 * The send statement's root check (send-statement.ts, per input row `i`, LATERAL): the message
 * `i.named_root` as the sender sees it (a member, the visibility rule), in the reply's
 * conversation, not a system message; its root when it is itself a reply (threads are one
 * level deep). No row: the reply is refused and threads.rootFor tells why. Two primary-key
 * probes, inside the statement: a reply costs no round trip before it.
 */
export const THREAD_ROOT_CHECK = `
  SELECT COALESCE(x.thread_root_id, x.id) AS root_id
  FROM messages x JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = i.sender_id
  WHERE x.id = i.named_root AND x.conversation_id = i.conversation_id AND x.type <> 'system' AND ${visibleTo('x', 'm')}`

/**
 * The send statement's thread part (appended to its CTEs; send-statement.ts), for the replies
 * in `ins`: the root's summary (`ths`, exact under concurrent replies: the conversation's row
 * lock is held) with its new rev (the summary changed, so the root is on the change stream;
 * the conversation's rev moved by one per distinct root in the statement: `c.rev_base +
 * c.cnt + j`). The root's messages row is not written: its rev as served is the greater of
 * its own and its summary's (rows.ts), and sync reads both (SYNC_UPDATED_SQL). The follows
 * (`fol`): each replier follows and has read up to their own reply; the root's author follows
 * unless they unfollowed (their row is not rewritten when nothing changes: most replies).
 */
export const THREAD_CTES = `, roots AS (
  SELECT thread_root_id, conversation_id, count(*)::int AS cnt, max(seq) AS seq, max(created_at) AS at, array_agg(sender_id ORDER BY seq DESC) AS repliers,
    row_number() OVER (PARTITION BY conversation_id ORDER BY thread_root_id)::int AS j
  FROM ins WHERE thread_root_id IS NOT NULL GROUP BY thread_root_id, conversation_id
), ths AS (
  INSERT INTO thread_summaries AS t (root_id, conversation_id, reply_count, last_reply_seq, last_reply_at, last_repliers, rev)
  SELECT r.thread_root_id, r.conversation_id, r.cnt, r.seq, r.at, ${latestThree('r.repliers')}, c.rev_base + c.cnt + r.j
  FROM roots r JOIN c ON c.id = r.conversation_id
  ON CONFLICT (root_id) DO UPDATE SET reply_count = t.reply_count + EXCLUDED.reply_count,
    last_reply_seq = GREATEST(t.last_reply_seq, EXCLUDED.last_reply_seq), last_reply_at = GREATEST(t.last_reply_at, EXCLUDED.last_reply_at),
    last_repliers = ${latestThree('EXCLUDED.last_repliers || t.last_repliers')}, rev = EXCLUDED.rev
  RETURNING t.root_id, t.rev, t.reply_count, t.last_reply_seq, t.last_reply_at, t.last_repliers
), fol AS (
  INSERT INTO thread_follows AS f (root_id, user_id, following, read_seq)
  SELECT a.root_id, a.user_id, true, max(a.seq) FROM (
    SELECT thread_root_id AS root_id, sender_id AS user_id, seq FROM ins WHERE thread_root_id IS NOT NULL
    UNION ALL
    SELECT r.thread_root_id, rm.sender_id, 0 FROM roots r JOIN messages rm ON rm.id = r.thread_root_id
  ) a GROUP BY a.root_id, a.user_id
  ON CONFLICT (root_id, user_id) DO UPDATE SET following = f.following OR EXCLUDED.read_seq > 0, read_seq = GREATEST(f.read_seq, EXCLUDED.read_seq)
    WHERE f.read_seq < EXCLUDED.read_seq OR (NOT f.following AND EXCLUDED.read_seq > 0)
)`

/**
 * The caller's state of the thread of root `root` (an expression): following, read position,
 * unread replies (visible to them, not their own, after their read position) and those among
 * them that mention them or "all". `tf` is their thread_follows row, `m` their membership row.
 */
const threadState = (root: string): string => {
  const unreadOf = (extra: string): string => `(SELECT count(*)::int FROM messages y WHERE y.thread_root_id = ${root}
    AND y.seq > GREATEST(COALESCE(tf.read_seq, 0), m.cleared_seq) AND y.sender_id <> m.user_id${extra}
    AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = m.user_id AND h.message_id = y.id))`
  return `COALESCE(tf.following, false) AS following, COALESCE(tf.read_seq, 0) AS read_seq, ${unreadOf('')} AS unread,
  ${unreadOf(` AND y.mentions IS NOT NULL AND (y.mentions @> jsonb_build_array(m.user_id::text) OR y.mentions @> '["all"]'::jsonb)`)} AS unread_mentions`
}

const threadSummary = 'th.root_id, th.reply_count, th.last_reply_seq, th.last_reply_at, th.last_repliers'

/**
 * A conversation's ($1) threads the caller ($2) sees (their root visible to them), latest
 * reply first, keyset on last_reply_seq (unique in a conversation: each reply has its own seq)
 * below $3, at most $4; with the root as a message and the caller's state.
 */
export const THREAD_LIST_SQL = `
SELECT th.conversation_id, ${threadSummary}, ${threadState('th.root_id')}, row_to_json(r) AS root
FROM thread_summaries th
JOIN conversation_members m ON m.conversation_id = th.conversation_id AND m.user_id = $2::uuid
LEFT JOIN thread_follows tf ON tf.root_id = th.root_id AND tf.user_id = m.user_id
CROSS JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id WHERE x.id = th.root_id AND ${visibleTo('x', 'm')}) r
WHERE th.conversation_id = $1::uuid AND th.last_reply_seq < $3::int
ORDER BY th.last_reply_seq DESC LIMIT $4::int`

/** The root $1 as the caller ($2) sees it (no row when they do not), its summary (zeros without replies) and their state. */
export const THREAD_STATE_SQL = `
SELECT x.id AS root_id, x.conversation_id, x.type::text AS type, x.thread_root_id AS own_root_id, COALESCE(th.reply_count, 0) AS reply_count,
  COALESCE(th.last_reply_seq, 0) AS last_reply_seq, th.last_reply_at, COALESCE(th.last_repliers, ARRAY[]::uuid[]) AS last_repliers, ${threadState('x.id')}
FROM messages x
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
LEFT JOIN thread_summaries th ON th.root_id = x.id
LEFT JOIN thread_follows tf ON tf.root_id = x.id AND tf.user_id = m.user_id
WHERE x.id = $1::uuid AND ${visibleTo('x', 'm')}`

/** The message $1 named as a reply's root, if the sender ($2) sees it: its conversation, kind and own root (the send's one extra read). */
export const THREAD_ROOT_SQL = `
SELECT x.id, x.conversation_id, x.type::text AS type, x.thread_root_id
FROM messages x JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.id = $1::uuid AND ${visibleTo('x', 'm')}`

/** The root $1 as a message, if the caller ($2) sees it. */
export const THREAD_ROOT_VIEW_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.id = $1::uuid AND ${visibleTo('x', 'm')}`

/** A thread's ($1) replies the caller ($2) sees, before seq $3 newest first. */
export const THREAD_BEFORE_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.thread_root_id = $1::uuid AND x.seq < $3::int AND ${visibleTo('x', 'm')}
ORDER BY x.seq DESC LIMIT $4::int`

/** A thread's ($1) replies the caller ($2) sees, after seq $3 oldest first. */
export const THREAD_AFTER_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.thread_root_id = $1::uuid AND x.seq > $3::int AND ${visibleTo('x', 'm')}
ORDER BY x.seq ASC LIMIT $4::int`

// A public channel's threads for a non-member (threads.ts), as its public history: the roots
// and replies as they are (nothing hidden or cleared for them), no state of their own.

/** A non-member's state of a thread: none (they cannot follow or read-mark). */
const PUBLIC_STATE = 'false AS following, 0 AS read_seq, 0 AS unread, 0 AS unread_mentions'

/** A banned user reads nothing of the channel, not even as the public: group_removals (the groups module's bans). */
export const PUBLIC_READER_SQL = `
SELECT c.type::text AS type, EXISTS (SELECT 1 FROM group_removals b WHERE b.conversation_id = c.id AND b.user_id = $2::uuid) AS banned
FROM conversations c WHERE c.id = $1::uuid`

export const PUBLIC_THREAD_LIST_SQL = `
SELECT th.conversation_id, ${threadSummary}, ${PUBLIC_STATE}, row_to_json(r) AS root
FROM thread_summaries th
CROSS JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id WHERE x.id = th.root_id) r
WHERE th.conversation_id = $1::uuid AND th.last_reply_seq < $2::int
ORDER BY th.last_reply_seq DESC LIMIT $3::int`

/** The root $1 of conversation $2 for a non-member: its kind, own root and summary. */
export const PUBLIC_THREAD_STATE_SQL = `
SELECT x.id AS root_id, x.conversation_id, x.type::text AS type, x.thread_root_id AS own_root_id, COALESCE(th.reply_count, 0) AS reply_count,
  COALESCE(th.last_reply_seq, 0) AS last_reply_seq, th.last_reply_at, COALESCE(th.last_repliers, ARRAY[]::uuid[]) AS last_repliers, ${PUBLIC_STATE}
FROM messages x LEFT JOIN thread_summaries th ON th.root_id = x.id
WHERE x.id = $1::uuid AND x.conversation_id = $2::uuid`

export const PUBLIC_THREAD_ROOT_VIEW_SQL = `SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id WHERE x.id = $1::uuid`

export const PUBLIC_THREAD_BEFORE_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.thread_root_id = $1::uuid AND x.seq < $2::int ORDER BY x.seq DESC LIMIT $3::int`

export const PUBLIC_THREAD_AFTER_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.thread_root_id = $1::uuid AND x.seq > $2::int ORDER BY x.seq ASC LIMIT $3::int`

/**
 * Follow ($3 true) or unfollow the root $1 of conversation $4 for user $2. A change of the
 * state takes the conversation's next rev (under its row lock, as every change) into the
 * row's `rev`, so sync {threads} brings it to the user's other devices; writing what is
 * already so takes none. The row is written either way (an unfollow before any reply is
 * kept, so the first reply does not follow the root's author again).
 */
export const THREAD_FOLLOW_SQL = `
WITH bump AS (
  UPDATE conversations SET last_rev = last_rev + 1 WHERE id = $4::uuid
    AND COALESCE((SELECT following FROM thread_follows WHERE root_id = $1::uuid AND user_id = $2::uuid), false) <> $3::bool
  RETURNING last_rev
)
INSERT INTO thread_follows AS f (root_id, user_id, following, rev) VALUES ($1::uuid, $2::uuid, $3::bool, COALESCE((SELECT last_rev FROM bump), 0))
ON CONFLICT (root_id, user_id) DO UPDATE SET following = EXCLUDED.following,
  rev = CASE WHEN EXISTS (SELECT 1 FROM bump) THEN EXCLUDED.rev ELSE f.rev END`

/**
 * Moves user $2's read position in thread $1 forward to $3 (the caller checked it is at most
 * the thread's last reply); a move takes the conversation's ($4) next rev (sync {threads}).
 * Returns the position now, whether it moved, and the conversation's type and members for
 * the receipt.
 */
export const THREAD_READ_SQL = `
WITH bump AS (
  UPDATE conversations SET last_rev = last_rev + 1 WHERE id = $4::uuid
    AND COALESCE((SELECT read_seq FROM thread_follows WHERE root_id = $1::uuid AND user_id = $2::uuid), 0) < $3::int
  RETURNING last_rev
), up AS (
  INSERT INTO thread_follows AS f (root_id, user_id, following, read_seq, rev) SELECT $1::uuid, $2::uuid, false, $3::int, bump.last_rev FROM bump
  ON CONFLICT (root_id, user_id) DO UPDATE SET read_seq = EXCLUDED.read_seq, rev = EXCLUDED.rev WHERE f.read_seq < EXCLUDED.read_seq
  RETURNING f.read_seq
)
SELECT (SELECT read_seq FROM up) AS new_seq, c.type::text AS type,
  ARRAY(SELECT user_id FROM conversation_members WHERE conversation_id = c.id) AS member_ids
FROM conversations c WHERE c.id = $4::uuid`

/**
 * sync {revs, threads}: the caller's ($3) state of each thread of the listed conversations
 * ($1, each after rev $2) that changed for them: one they follow whose summary moved (a
 * reply), or whose own state moved (follow, unfollow, read on another device, a reply of
 * theirs). Only roots they see (the visibility rule).
 */
export const SYNC_THREADS_SQL = `
SELECT x.id AS root_id, x.conversation_id, COALESCE(th.reply_count, 0) AS reply_count, COALESCE(th.last_reply_seq, 0) AS last_reply_seq,
  th.last_reply_at, COALESCE(th.last_repliers, ARRAY[]::uuid[]) AS last_repliers, ${threadState('x.id')}
FROM unnest($1::uuid[], $2::int[]) AS cur(conversation_id, after_rev)
JOIN conversation_members m ON m.conversation_id = cur.conversation_id AND m.user_id = $3::uuid
JOIN thread_follows tf ON tf.user_id = m.user_id
JOIN messages x ON x.id = tf.root_id AND x.conversation_id = cur.conversation_id
LEFT JOIN thread_summaries th ON th.root_id = x.id
WHERE (tf.rev > cur.after_rev OR (tf.following AND th.rev > cur.after_rev)) AND ${visibleTo('x', 'm')}
ORDER BY x.conversation_id, th.last_reply_seq DESC NULLS LAST`
