/*
 * The housekeeping module's named SQL statements (README.md, "Project layout": data access).
 * Each deletes at most $1 rows per run (a long backlog is worked off over several runs, never
 * one long transaction), and returns what it deleted.
 */

/** Webhook delivery log entries older than $2 days. */
export const PRUNE_WEBHOOK_LOG_SQL = `
  DELETE FROM webhook_deliveries WHERE id IN (
    SELECT id FROM webhook_deliveries WHERE created_at < now() - make_interval(days => $2::int) LIMIT $1)
  RETURNING id`

/** App-event delivery log entries (server-api/app-events.ts) older than $2 days: the same keep as the webhooks' log. */
export const PRUNE_APP_EVENT_LOG_SQL = `
  DELETE FROM app_event_deliveries WHERE id IN (
    SELECT id FROM app_event_deliveries WHERE created_at < now() - make_interval(days => $2::int) LIMIT $1)
  RETURNING id`

/** The job queue's archive (pg-boss's finished jobs) older than $2 days. */
export const PRUNE_JOB_ARCHIVE_SQL = `
  DELETE FROM pgboss.archive WHERE (name, id) IN (
    SELECT name, id FROM pgboss.archive WHERE archived_on < now() - make_interval(days => $2::int) LIMIT $1)
  RETURNING id`

/** Refresh tokens expired more than $2 seconds ago: they can never be used again (reuse detection needs only live ones). */
export const PRUNE_REFRESH_TOKENS_SQL = `
  DELETE FROM refresh_tokens WHERE id IN (
    SELECT id FROM refresh_tokens WHERE expires_at < now() - make_interval(secs => $2::int) LIMIT $1)
  RETURNING id`

/** Group invites expired or revoked more than $2 days ago (least() skips a NULL; a preview says "expired" until then). */
export const PRUNE_INVITES_SQL = `
  DELETE FROM group_invites WHERE id IN (
    SELECT id FROM group_invites
    WHERE least(expires_at, revoked_at) < now() - make_interval(days => $2::int) LIMIT $1)
  RETURNING id`

/**
 * Uploads older than $2 seconds that nothing references: no message carries their URL (any
 * message, recalled or not: its row still names the file) or shows it as its link preview's
 * image, no cached preview holds it, no group or user has it as avatar.
 * Returns each storage key, so the file goes too.
 */
const UNREFERENCED = `
      NOT EXISTS (SELECT 1 FROM messages x WHERE x.type IN ('image', 'file') AND x.content->>'url' = '/api/uploads/' || u.id::text)
      AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.link_preview->>'image' = '/api/uploads/' || u.id::text)
      AND NOT EXISTS (SELECT 1 FROM link_preview_cache p WHERE p.preview->>'image' = '/api/uploads/' || u.id::text)
      AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.avatar_url = '/api/uploads/' || u.id::text)
      AND NOT EXISTS (SELECT 1 FROM users p WHERE p.avatar_url = '/api/uploads/' || u.id::text)`

export const PRUNE_UPLOADS_SQL = `
  DELETE FROM uploads WHERE id IN (
    SELECT u.id FROM uploads u
    WHERE u.created_at < now() - make_interval(secs => $2::int) AND ${UNREFERENCED}
    LIMIT $1)
  RETURNING storage_key`

// Retention (retention.ts)

/**
 * Conversations with a policy ($1: the server's RETENTION_DAYS, used where the conversation has
 * none; 0: keep forever) whose oldest message is older than it: one index probe each on
 * (conversation_id, seq). At most $2, after id $3 (a run walks them in id order).
 */
export const RETENTION_DUE_SQL = `
  SELECT c.id, coalesce(c.retention_days::float8, $1::float8) AS days FROM conversations c
  WHERE c.id > $3::uuid AND coalesce(c.retention_days::float8, $1::float8) > 0
    AND (SELECT x.created_at FROM messages x WHERE x.conversation_id = c.id ORDER BY x.seq LIMIT 1)
      < now() - make_interval(secs => coalesce(c.retention_days::float8, $1::float8) * 86400)
  ORDER BY c.id LIMIT $2::int`

/**
 * Where conversation $1's history will start after a purge at $2 days: the first seq sent
 * within the policy, or (none) one above the last seq. Every message below it is older than
 * the policy, and one being sent now gets a higher seq (seqs are taken under the row lock).
 * Then the conversation says so (history_start_seq only moves up), before anything is deleted.
 */
export const RETENTION_START_SQL = `
  UPDATE conversations c SET history_start_seq = greatest(c.history_start_seq, coalesce(
    (SELECT x.seq FROM messages x WHERE x.conversation_id = c.id
      AND x.created_at >= now() - make_interval(secs => $2::float8 * 86400) ORDER BY x.seq LIMIT 1),
    c.last_seq + 1))
  WHERE c.id = $1::uuid
  RETURNING c.history_start_seq`

/**
 * Deletes at most $3 messages of conversation $1 below seq $2, oldest first, with what refers
 * to them without a foreign key (push and link-preview outboxes); reactions, poll votes, edits,
 * hidden marks, reports, thread summaries and follows go by their foreign keys (ON DELETE
 * CASCADE); search entries are indexes on the rows. Returns the uploads they named (files,
 * images, link-preview images), to check next whether anything still references them.
 */
export const RETENTION_PURGE_SQL = `
  WITH d AS (
    DELETE FROM messages WHERE id IN (
      SELECT id FROM messages WHERE conversation_id = $1::uuid AND seq < $2::int ORDER BY seq LIMIT $3::int)
    RETURNING id, type, content, link_preview
  ), po AS (
    DELETE FROM push_outbox WHERE message_id IN (SELECT id FROM d)
  ), lo AS (
    DELETE FROM link_preview_outbox WHERE message_id IN (SELECT id FROM d)
  )
  SELECT count(DISTINCT d.id)::int AS n, coalesce(array_agg(DISTINCT u.url) FILTER (WHERE u.url LIKE '/api/uploads/%'), '{}') AS urls
  FROM d LEFT JOIN LATERAL (VALUES (CASE WHEN d.type IN ('image', 'file') THEN d.content->>'url' END), (d.link_preview->>'image')) u(url) ON true`

/**
 * Queued pushes of conversation $1 below seq $2: a push-send job carries its message's preview
 * (text), so it goes with the message, queued, retrying or archived.
 */
export const RETENTION_PUSH_JOBS_SQL = `
  DELETE FROM pgboss.job WHERE name = 'push-send' AND data->'payload'->>'conversationId' = $1::text
    AND (data->'payload'->>'seq')::int < $2::int`
export const RETENTION_PUSH_ARCHIVE_SQL = `
  DELETE FROM pgboss.archive WHERE name = 'push-send' AND data->'payload'->>'conversationId' = $1::text
    AND (data->'payload'->>'seq')::int < $2::int`

/** Uploads among $1 (their URLs) that nothing references any more, whatever their age. */
export const RETENTION_UPLOADS_SQL = `
  DELETE FROM uploads WHERE id IN (
    SELECT u.id FROM uploads u WHERE '/api/uploads/' || u.id::text = ANY($1::text[]) AND ${UNREFERENCED})
  RETURNING storage_key`

/** The embedded store reclaims dead rows' space and refreshes planner statistics (PostgreSQL's autovacuum does this there). */
export const VACUUM_SQL = 'VACUUM (ANALYZE)'
/**
 * Then a checkpoint: PGlite is a single-user backend with no checkpointer process, so without
 * one the write-ahead log is only recycled when it reaches max_wal_size (1 GB): the retention
 * soak's data directory grew by a 16 MB WAL segment every few minutes (BENCHMARKS.md, "Retention soak").
 */
export const CHECKPOINT_SQL = 'CHECKPOINT'
