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
