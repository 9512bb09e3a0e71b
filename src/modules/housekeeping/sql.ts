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
export const PRUNE_UPLOADS_SQL = `
  DELETE FROM uploads WHERE id IN (
    SELECT u.id FROM uploads u
    WHERE u.created_at < now() - make_interval(secs => $2::int)
      AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.type IN ('image', 'file') AND x.content->>'url' = '/api/uploads/' || u.id::text)
      AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.link_preview->>'image' = '/api/uploads/' || u.id::text)
      AND NOT EXISTS (SELECT 1 FROM link_preview_cache p WHERE p.preview->>'image' = '/api/uploads/' || u.id::text)
      AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.avatar_url = '/api/uploads/' || u.id::text)
      AND NOT EXISTS (SELECT 1 FROM users p WHERE p.avatar_url = '/api/uploads/' || u.id::text)
    LIMIT $1)
  RETURNING storage_key`

/** The embedded store reclaims dead rows' space and refreshes planner statistics (PostgreSQL's autovacuum does this there). */
export const VACUUM_SQL = 'VACUUM (ANALYZE)'
