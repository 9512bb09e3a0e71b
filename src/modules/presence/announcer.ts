import type { SqlClient } from '../../db/drivers.js'
import { createGroupCommit } from '../../lib/group-commit.js'
import { liveAudienceOf } from './visibility.js'

export interface PresenceEvent { userId: string, online: boolean, lastSeenAt: string | null, hidden?: true }

interface Transition { userId: string, online: boolean, at: Date }

interface Pending {
  online: boolean
  /** When the user last went offline in this batch (stored as users.last_seen_at). */
  seenAt?: Date
}

/** Largest number of users announced by one statement. */
const MAX_USERS = 1000

/*
 * One statement per batch: store last_seen_at of users who went offline, then read, for every
 * user of the batch, the stored last_seen_at and the friend list. (The SELECT cannot see the
 * UPDATE of its own statement, hence the COALESCE with what the UPDATE returned.) Friends
 * only, and nobody under the `nobody` setting (visibility.ts).
 */
const ANNOUNCE_SQL = `
WITH seen AS (
  UPDATE users u SET last_seen_at = v.at
  FROM unnest($2::uuid[], $3::timestamptz[]) AS v(id, at)
  WHERE u.id = v.id AND u.deleted_at IS NULL -- a deleted account's last disconnect is not kept
  RETURNING u.id, u.last_seen_at
)
SELECT u.id, COALESCE(s.last_seen_at, u.last_seen_at) AS last_seen_at,
  ${liveAudienceOf('u')} AS friend_ids
FROM users u LEFT JOIN seen s ON s.id = u.id
WHERE u.id = ANY($1::uuid[])`

/**
 * With app events on (APP_EVENTS_URL): the same statement also records `user.online` /
 * `user.offline` for each user of the batch (docs/protocol.md, "App events"), so an event is
 * written iff its transition was. Without them the statement is the one above.
 */
const ANNOUNCE_WITH_APP_EVENTS_SQL = ANNOUNCE_SQL.replace(/\)\nSELECT u\.id/, `),
app_events AS (
  INSERT INTO app_events (stream, type, data)
  SELECT 'user:' || u.id, CASE WHEN v.online THEN 'user.online' ELSE 'user.offline' END,
    jsonb_build_object('user', jsonb_build_object('id', u.id, 'externalId', u.external_id))
  FROM unnest($1::uuid[], $4::boolean[]) AS v(id, online) JOIN users u ON u.id = v.id
  WHERE u.deleted_at IS NULL
)
SELECT u.id`)

interface Row { id: string, last_seen_at: Date | null, friend_ids: string[] }

/**
 * Presence announcements as a group commit. Transitions that arrive while a batch is being
 * written wait and go together in the next one, so a reconnect storm (thousands of users
 * online within seconds) or a shutdown (all of a node's users offline at once) costs a few
 * statements instead of two or three queries per user, and never queues ahead of message
 * sends in the pool. Batches run one at a time, so one user's announcements keep their
 * order; within a batch only a user's last state is announced (a reconnect inside one batch
 * is announced as online, with the disconnect stored as last_seen_at).
 */
export function createAnnouncer (sql: SqlClient, publish: (userIds: readonly string[], payload: PresenceEvent) => void, onError: (err: unknown) => void, appEvents = false) {
  async function write (batch: Map<string, Pending>): Promise<void> {
    const ids = [...batch.keys()]
    for (let i = 0; i < ids.length; i += MAX_USERS) {
      const chunk = ids.slice(i, i + MAX_USERS)
      const seen = chunk.flatMap((id) => { const at = batch.get(id)?.seenAt; return at === undefined ? [] : [[id, at.toISOString()] as const] })
      const params = [chunk, seen.map(([id]) => id), seen.map(([, at]) => at)]
      const rows = appEvents
        ? await sql.query<Row>(ANNOUNCE_WITH_APP_EVENTS_SQL, [...params, chunk.map((id) => batch.get(id)?.online === true)], 'presence_announce_app_events')
        : await sql.query<Row>(ANNOUNCE_SQL, params, 'presence_announce')
      for (const row of rows) {
        const p = batch.get(row.id)
        if (p === undefined || row.friend_ids.length === 0) continue
        // Online: the end of the previous session; offline: the moment just stored.
        const lastSeenAt = !p.online && p.seenAt !== undefined ? p.seenAt.toISOString() : row.last_seen_at?.toISOString() ?? null
        publish(row.friend_ids, { userId: row.id, online: p.online, lastSeenAt })
      }
    }
  }

  /** Each user's last state in the batch, with the last time they went offline in it. */
  async function commit (transitions: Transition[]): Promise<undefined[]> {
    const batch = new Map<string, Pending>()
    for (const { userId, online, at } of transitions) {
      batch.set(userId, { online, seenAt: online ? batch.get(userId)?.seenAt : at })
    }
    try {
      await write(batch)
    } catch (err) {
      onError(err)
    }
    return transitions.map(() => undefined)
  }

  const group = createGroupCommit<Transition, undefined>({ commit, concurrency: 1 })

  return {
    /** Resolves once the transition was stored and sent to the user's friends (or failed and was logged). */
    async announce (userId: string, online: boolean, at: Date = new Date()): Promise<void> {
      await group.submit({ userId, online, at })
    },
    /** Waits until everything announced so far is written. */
    idle: group.idle
  }
}
