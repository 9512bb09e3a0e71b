import { JOBS_SCHEMA } from '../../plugins/jobs.js'

/*
 * The link-previews module's named SQL statements (README.md, "Project layout": data access),
 * run through SqlClient.query (`app.sql`) with the name given at the call.
 */

export const FETCH_QUEUE = 'link-preview'

/**
 * The relay: committed link_preview_outbox rows become `link-preview` jobs in one statement (a
 * row is either still in the outbox or a job, never both or neither); SKIP LOCKED lets several
 * nodes relay at once. The singleton key is message and URL: an edit's new URL is a new job.
 */
export const RELAY_SQL = `
WITH moved AS (
  DELETE FROM link_preview_outbox WHERE message_id IN (
    SELECT message_id FROM link_preview_outbox ORDER BY created_at LIMIT 100 FOR UPDATE SKIP LOCKED)
  RETURNING message_id, url
)
INSERT INTO ${JOBS_SCHEMA}.job (name, data, singleton_key, retry_limit, retry_delay, retry_backoff, expire_in, keep_until, policy)
SELECT q.name, jsonb_build_object('messageId', moved.message_id, 'url', moved.url), moved.message_id::text || ' ' || md5(moved.url),
  q.retry_limit, q.retry_delay, q.retry_backoff,
  COALESCE(q.expire_seconds, 900) * interval '1 second', now() + COALESCE(q.retention_minutes, 20160) * interval '1 minute', q.policy
FROM moved JOIN ${JOBS_SCHEMA}.queue q ON q.name = '${FETCH_QUEUE}'
RETURNING id`

/** Whether message $1 still wants a preview for url $2, and its sender (who the image is stored for). */
export const TARGET_SQL = `
          SELECT sender_id FROM messages WHERE id = $1::uuid AND link_preview_url = $2 AND recalled_at IS NULL`

/**
 * A preview of url $1 fetched less than LINK_PREVIEW_CACHE_S ago (preview null: nothing to
 * show), or a node's claim on fetching it (`pending`) that has not run out.
 */
export const CACHE_GET_SQL = `SELECT preview, pending FROM link_preview_cache WHERE url = $1 AND expires_at > now()`

/**
 * Claims the fetch of url $1 for $2 seconds (single-flight across nodes): a row is taken only
 * when there is none or it ran out (a stale preview, or a claim whose node died). Two claims at
 * once meet on the primary key: one inserts, the other's conflict finds a live row and returns
 * nothing.
 */
export const CACHE_CLAIM_SQL = `
          INSERT INTO link_preview_cache (url, preview, pending, fetched_at, expires_at) VALUES ($1, NULL, true, now(), now() + $2::int * interval '1 second')
          ON CONFLICT (url) DO UPDATE SET preview = NULL, pending = true, fetched_at = now(), expires_at = EXCLUDED.expires_at
          WHERE link_preview_cache.expires_at <= now()
          RETURNING url`

/** Gives a claim up (the fetch failed in a way worth trying again): the next job claims afresh. */
export const CACHE_RELEASE_SQL = `DELETE FROM link_preview_cache WHERE url = $1 AND pending`

export const CACHE_PUT_SQL = `
          INSERT INTO link_preview_cache (url, preview, pending, fetched_at, expires_at) VALUES ($1, $2::jsonb, false, now(), now() + $3::int * interval '1 second')
          ON CONFLICT (url) DO UPDATE SET preview = EXCLUDED.preview, pending = false, fetched_at = EXCLUDED.fetched_at, expires_at = EXCLUDED.expires_at`

/** Expired cache rows, a bounded batch at a time. */
export const CACHE_PURGE_SQL = `
          DELETE FROM link_preview_cache WHERE url IN (SELECT url FROM link_preview_cache WHERE expires_at <= now() LIMIT 1000)`
