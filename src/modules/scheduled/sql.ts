import { JOBS_SCHEMA } from '../../plugins/jobs.js'

/** The pg-boss queue of scheduled sends: one job per scheduled message whose time came. */
export const SCHEDULED_QUEUE = 'scheduled-send'

/** The columns a view of a scheduled message is made from. */
const COLUMNS = `id, sender_id, conversation_id, client_msg_id, type::text AS type, content, reply_to, mentions, send_at,
  status::text AS status, message_id, error_code, error_message, created_at, updated_at`

/**
 * The relay: rows whose time came become `queued` and get their job, in one statement (the
 * job exists iff the row moved). Rows an edit or cancel holds are skipped (SKIP LOCKED) and
 * looked at again on the next pass, by then with their new time, or gone; a second node's
 * relay skips the rows this one holds, and finds them `queued` afterwards.
 */
export const RELAY_SQL = `
WITH due AS (
  UPDATE scheduled_messages s SET status = 'queued', updated_at = now()
  WHERE s.id IN (
    SELECT id FROM scheduled_messages WHERE status = 'scheduled' AND send_at <= now()
    ORDER BY send_at LIMIT 100 FOR UPDATE SKIP LOCKED)
  RETURNING s.id
)
INSERT INTO ${JOBS_SCHEMA}.job (name, data, singleton_key, retry_limit, retry_delay, retry_backoff, expire_in, keep_until, policy)
SELECT q.name, jsonb_build_object('id', due.id), due.id::text, q.retry_limit, q.retry_delay, q.retry_backoff,
  COALESCE(q.expire_seconds, 900) * interval '1 second', now() + COALESCE(q.retention_minutes, 20160) * interval '1 minute', q.policy
FROM due JOIN ${JOBS_SCHEMA}.queue q ON q.name = '${SCHEDULED_QUEUE}'
RETURNING id`

/**
 * A worker claims its row: `queued` (first try) or `sending` (a retry after its worker died).
 * Anything else (sent, failed, or gone: cancelled before it was queued) leaves nothing to do.
 */
export const CLAIM_SQL = `
UPDATE scheduled_messages SET status = 'sending', updated_at = now()
WHERE id = $1 AND status IN ('queued', 'sending')
RETURNING ${COLUMNS}`

/** The send's outcome, recorded once: only the claim's row (`sending`) moves, so a second worker's finish is a no-op. */
export const FINISH_SQL = `
UPDATE scheduled_messages SET status = $2::scheduled_status, message_id = $3, error_code = $4, error_message = $5, updated_at = now()
WHERE id = $1 AND status = 'sending'
RETURNING ${COLUMNS}`

/**
 * An edit by its author, only while it waits (`scheduled`) or after it failed (`failed`:
 * scheduled again, the error cleared). NULL keeps a field. A row the relay holds or already
 * queued is not matched: the caller answers CONFLICT.
 */
export const EDIT_SQL = `
UPDATE scheduled_messages SET content = COALESCE($3::jsonb, content), send_at = COALESCE($4::timestamptz, send_at),
  status = 'scheduled', error_code = NULL, error_message = NULL, updated_at = now()
WHERE id = $1 AND sender_id = $2 AND status IN ('scheduled', 'failed')
RETURNING ${COLUMNS}`

/** A cancel by its author, on the same terms as an edit; the row goes (its clientMsgId is free again). */
export const CANCEL_SQL = `
DELETE FROM scheduled_messages WHERE id = $1 AND sender_id = $2 AND status IN ('scheduled', 'failed')
RETURNING ${COLUMNS}`

/** One row of the caller's, whatever its state (to tell NOT_FOUND from CONFLICT, and for repeats). */
export const OWN_SQL = `SELECT ${COLUMNS} FROM scheduled_messages WHERE id = $1 AND sender_id = $2`

/** The caller's scheduled messages not yet sent (in one conversation, or all), soonest first. */
export const LIST_SQL = `
SELECT ${COLUMNS} FROM scheduled_messages
WHERE sender_id = $1 AND ($2::uuid IS NULL OR conversation_id = $2) AND status <> 'sent'
ORDER BY send_at, id
LIMIT $3`

/** Serialises one sender's schedules (the pending cap), inside the transaction. */
export const SENDER_LOCK_SQL = `SELECT count(*)::int AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended('scheduled:' || $1::text, 0))) l`

/** The sender's rows still waiting for their time or for an edit (scheduled or failed). */
export const PENDING_COUNT_SQL = `SELECT count(*)::int AS n FROM scheduled_messages WHERE sender_id = $1 AND status IN ('scheduled', 'failed')`

/**
 * Rows left `queued` or `sending` with no live job (pg-boss gave up on it: its retries ran out,
 * say after node after node was killed mid-send, or the job is gone): the outcome is made
 * final. `sent` when the message was stored by its clientMsgId after all (killed between the
 * send and the finish), else `failed` with INTERNAL. Rows touched in the last $1 seconds are
 * left alone (a worker is on them); SKIP LOCKED lets nodes sweep side by side.
 */
export const STRANDED_SQL = `
WITH stranded AS (
  SELECT s.id AS sid, m.id AS found_id FROM scheduled_messages s
  LEFT JOIN messages m ON m.sender_id = s.sender_id AND m.client_msg_id = s.client_msg_id
  WHERE s.status IN ('queued', 'sending') AND s.updated_at < now() - $1::int * interval '1 second'
    AND NOT EXISTS (SELECT 1 FROM ${JOBS_SCHEMA}.job j WHERE j.name = '${SCHEDULED_QUEUE}' AND j.singleton_key = s.id::text
      AND j.state IN ('created', 'retry', 'active'))
  ORDER BY s.updated_at LIMIT 100 FOR UPDATE OF s SKIP LOCKED
)
UPDATE scheduled_messages SET status = (CASE WHEN found_id IS NULL THEN 'failed' ELSE 'sent' END)::scheduled_status, message_id = found_id,
  error_code = CASE WHEN found_id IS NULL THEN 'INTERNAL' END,
  error_message = CASE WHEN found_id IS NULL THEN 'Could not be sent: every try failed' END, updated_at = now()
FROM stranded WHERE id = sid AND status IN ('queued', 'sending')
RETURNING ${COLUMNS}`
