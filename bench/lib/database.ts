import pg from 'pg'
import { chatTextGenerator, FIXED_CONTENT, type ContentKind } from './chat-text.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate, readMigrations, type SqlRunner } from '../../src/db/migrator.js'
import { hashPassword } from '../../src/lib/password.js'
import { SERVER_ROOT } from './server.js'

export type DbKind = 'pglite' | 'postgres'

/** The PostgreSQL server the bench creates its throwaway databases on. */
export const PG_BASE_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432'
export const BENCH_PASSWORD = 'bench-password'

/**
 * A fresh, migrated database for one run. PostgreSQL: a new database on the local server,
 * dropped at the end. PGlite: a new directory, which the server opens after `release()`
 * (PGlite is single-process, so the harness seeds first and lets go).
 */
export interface BenchDb {
  kind: DbKind
  /** Environment for the server: DATABASE_URL or PGLITE_DIR. */
  serverEnv: Record<string, string>
  query: <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>
  /** Several statements, no parameters. */
  exec: (sql: string) => Promise<void>
  /** Lets go of the connection (required before a PGlite server opens the directory). */
  release: () => Promise<void>
  /** Opens it again (PGlite: only while the server is stopped). */
  reopen: () => Promise<void>
  drop: () => Promise<void>
  /** PostgreSQL backend pids serving this database (the server's pool), for CPU sampling. */
  backendPids: () => Promise<number[]>
}

async function adminQuery (sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` })
  await admin.connect()
  try {
    await admin.query(sql)
  } finally {
    await admin.end()
  }
}

export async function createDatabase (kind: DbKind, runId: string): Promise<BenchDb> {
  if (kind === 'postgres') {
    const name = `bench_${runId}`
    await adminQuery(`CREATE DATABASE ${name}`)
    const url = `${PG_BASE_URL}/${name}`
    let client: pg.Client | undefined
    const open = async (): Promise<void> => {
      client = new pg.Client({ connectionString: url })
      client.on('error', () => {})
      await client.connect()
    }
    await open()
    const db: BenchDb = {
      kind,
      serverEnv: { DATABASE_URL: url },
      query: async (sql, params) => (await client!.query(sql, params)).rows,
      exec: async (sql) => { await client!.query(sql) },
      release: async () => { await client?.end(); client = undefined },
      reopen: open,
      drop: async () => {
        await db.release()
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      },
      backendPids: async () => (await db.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).map((r) => r.pid)
    }
    await migrateDb(db)
    return db
  }

  const { PGlite } = await import('@electric-sql/pglite')
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
  const dir = mkdtempSync(join(tmpdir(), `bench-pglite-${runId}-`))
  let client: InstanceType<typeof PGlite> | undefined
  const open = async (): Promise<void> => { client = await PGlite.create(dir, { extensions: { pg_trgm } }) }
  await open()
  const db: BenchDb = {
    kind,
    serverEnv: { PGLITE_DIR: dir },
    query: async (sql, params) => (await client!.query<any>(sql, params)).rows,
    exec: async (sql) => { await client!.exec(sql) },
    release: async () => { await client?.close(); client = undefined },
    reopen: open,
    drop: async () => {
      await db.release()
      rmSync(dir, { recursive: true, force: true })
    },
    backendPids: async () => []
  }
  await migrateDb(db)
  return db
}

/** The project's own migrator, so the server finds every migration applied and starts as usual. */
async function migrateDb (db: BenchDb): Promise<void> {
  const runner: SqlRunner = {
    exec: async (sql) => { await db.exec(sql) },
    query: async <T>(sql: string, params?: unknown[]) => await db.query<T>(sql, params)
  }
  // The migrations of the server under test (BENCH_SERVER_ROOT: an earlier checkout's schema).
  await migrate(runner, readMigrations(join(SERVER_ROOT, 'prisma', 'migrations')))
}

/** Users bench_0 .. bench_{n-1}, ids md5('u'||i), all with the password BENCH_PASSWORD. */
export async function seedUsers (db: BenchDb, n: number): Promise<void> {
  // One real scrypt hash (cheapest cost the server accepts), shared: login works, seeding stays fast.
  const hash = await hashPassword(BENCH_PASSWORD, 10)
  await db.query(`INSERT INTO users (id, username, display_name, password_hash)
    SELECT md5('u' || i)::uuid, 'bench_' || i, 'Bench ' || i, $1 FROM generate_series(0, $2::int - 1) i`, [hash, n])
}

/** Pairs (2k, 2k+1): friends both ways, an accepted request, and their direct conversation md5('c'||k). */
export async function seedPairs (db: BenchDb, pairs: number): Promise<void> {
  await db.query(`INSERT INTO friendships (user_id, friend_id)
    SELECT md5('u' || (2 * k + d))::uuid, md5('u' || (2 * k + 1 - d))::uuid
    FROM generate_series(0, $1::int - 1) k, generate_series(0, 1) d`, [pairs])
  await db.query(`INSERT INTO friend_requests (id, from_user_id, to_user_id, status, responded_at)
    SELECT md5('r' || k)::uuid, md5('u' || (2 * k))::uuid, md5('u' || (2 * k + 1))::uuid, 'accepted', now()
    FROM generate_series(0, $1::int - 1) k`, [pairs])
  await db.query(`INSERT INTO conversations (id, type, direct_key)
    SELECT md5('c' || k)::uuid, 'direct',
      CASE WHEN a COLLATE "C" < b COLLATE "C" THEN a || ':' || b ELSE b || ':' || a END
    FROM (SELECT k, md5('u' || (2 * k))::uuid::text AS a, md5('u' || (2 * k + 1))::uuid::text AS b
          FROM generate_series(0, $1::int - 1) k) p`, [pairs])
  await db.query(`INSERT INTO conversation_members (conversation_id, user_id)
    SELECT md5('c' || k)::uuid, md5('u' || (2 * k + d))::uuid
    FROM generate_series(0, $1::int - 1) k, generate_series(0, 1) d`, [pairs])
}

/** Groups md5('g'||g) of users g*size .. g*size+size-1, the first one owning it. */
export async function seedGroups (db: BenchDb, groups: number, size: number): Promise<void> {
  await db.query(`INSERT INTO conversations (id, type, name, owner_id)
    SELECT md5('g' || g)::uuid, 'group', 'Bench group ' || g, md5('u' || (g * $2::int))::uuid
    FROM generate_series(0, $1::int - 1) g`, [groups, size])
  await db.query(`INSERT INTO conversation_members (conversation_id, user_id, role)
    SELECT md5('g' || g)::uuid, md5('u' || (g * $2::int + j))::uuid, CASE WHEN j = 0 THEN 'owner' ELSE 'member' END::member_role
    FROM generate_series(0, $1::int - 1) g, generate_series(0, $2::int - 1) j`, [groups, size])
}

/**
 * `perConversation` earlier text messages in every seeded conversation (direct md5('c'||k) or
 * group md5('g'||k)), sent by its first two members in turn, with the run's kind of text, then ANALYZE: the server meets a
 * database as a running deployment has it (history, table statistics), not an empty
 * `messages` table, on which PostgreSQL plans the send statement's index probes as
 * sequential scans for as long as that plan stays cached (found on 2026-12-01: the CPU per
 * message grew with every message stored during a run).
 */
export async function seedConversationHistory (db: BenchDb, conversations: number, group: boolean, groupSize: number, perConversation: number, content: ContentKind = 'realistic'): Promise<void> {
  if (perConversation <= 0) return
  // Realistic history fills the search indexes with a real vocabulary, as a running deployment's would.
  const texts = content === 'fixed' ? [FIXED_CONTENT] : Array.from({ length: 5000 }, chatTextGenerator(0x5EED))
  const conv = group ? `md5('g' || k)::uuid` : `md5('c' || k)::uuid`
  const sender = group ? `md5('u' || (k * ${groupSize} + s % 2))::uuid` : `md5('u' || (2 * k + s % 2))::uuid`
  await db.query(`INSERT INTO messages (id, conversation_id, seq, rev, sender_id, client_msg_id, type, content, created_at)
    SELECT md5('h' || k || ':' || s)::uuid, ${conv}, s, s, ${sender}, md5('hc' || k || ':' || s), 'text',
      to_jsonb(($3::text[])[1 + (k * $2::int + s) % cardinality($3::text[])]), now() - ($2::int - s + 60) * interval '1 second'
    FROM generate_series(0, $1::int - 1) k, generate_series(1, $2::int) s`, [conversations, perConversation, texts])
  await db.query(`UPDATE conversations SET last_seq = $1::int, last_rev = $1::int, last_message_at = now() - interval '60 seconds'`, [perConversation])
  await db.query(`UPDATE conversation_members SET read_seq = $1::int, delivered_seq = $1::int`, [perConversation])
  await db.query('VACUUM ANALYZE')
}

/**
 * `count` text messages in the direct conversation of pair 0, alternating senders, one
 * second apart, as the send path would have stored them (seq 1..count, last_seq = last_rev =
 * count), then VACUUM ANALYZE. The text is the run's kind: realistic chat text (5,000 seeded
 * messages in turn, as seedConversationHistory) fills the search indexes as a running
 * deployment's are, which is what the page query's table and index sizes depend on.
 */
export async function seedHistory (db: BenchDb, count: number, content: ContentKind = 'realistic', seed = 0x5EED): Promise<void> {
  const texts = content === 'fixed' ? [FIXED_CONTENT] : Array.from({ length: 5000 }, chatTextGenerator(seed))
  await db.query(`INSERT INTO messages (id, conversation_id, seq, rev, sender_id, client_msg_id, type, content, created_at)
    SELECT md5('m' || s)::uuid, md5('c0')::uuid, s, s, md5('u' || (s % 2))::uuid, md5('cm' || s), 'text',
      to_jsonb(($2::text[])[1 + s % cardinality($2::text[])]), now() - ($1::int - s) * interval '1 second'
    FROM generate_series(1, $1::int) s`, [count, texts])
  await db.query(`UPDATE conversations SET last_seq = $1::int, last_rev = $1::int, last_message_at = now() WHERE id = md5('c0')::uuid`, [count])
  await db.query(`UPDATE conversation_members SET read_seq = $1::int, delivered_seq = $1::int WHERE conversation_id = md5('c0')::uuid`, [count])
  await db.query('VACUUM ANALYZE')
}
