#!/usr/bin/env node
// `npm run admin -- backup <file>` / `restore <file>` / `move-to-postgres <DATABASE_URL>`:
// see scripts/lib/backup.mjs and scripts/lib/move-to-postgres.mjs (README, Operations).
// `npm run admin -- promote <username>` / `npm run admin -- demote <username>`: the platform role.
// - DATABASE_URL set: runs against that PostgreSQL, also while the server runs.
// - Otherwise: the embedded PGlite directory (PGLITE_DIR, default DATA_DIR/pglite). PGlite is
//   one process's files, so the server must be stopped: while it runs, the directory holds
//   postmaster.pid and this command refuses (after a crash the file stays: `--force`).
// A role change applies from the user's next access token (at most ACCESS_TOKEN_TTL_S later).
// The database keeps the platform-admin rules (migration 20261206000000_membership_trust),
// for this command as for the API: a demotion that would leave no active human admin is
// refused (the trigger's SQLSTATE RA001; suspended, deleted and bot accounts do not count),
// and a bot is never an admin (CHECK users_bot_never_admin). Each change is written to the
// audit log with no actor (the operator's command line).
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { OPS_COMMANDS, runOpsCommand } from './lib/ops-commands.mjs'
import { openPglite } from './lib/stores.mjs'

// `npm run admin -- server-key create <name> <scope,scope…>` prints a new server key for an app
// backend once (only its SHA-256 is stored); `server-key revoke <id>` revokes one. Scopes:
// users, conversations, messages, moderation. Both are written to the audit log with no actor.

const USAGE = 'usage: npm run admin -- promote|demote <username> [--force]\n' +
  '       npm run admin -- server-key create <name> <scope[,scope…]> [--force]\n' +
  '       npm run admin -- server-key revoke <id> [--force]\n' +
  '       npm run admin -- backup <file> [--force] | restore <file> | move-to-postgres <DATABASE_URL> [--force]'
const SCOPES = ['users', 'conversations', 'messages', 'moderation']
const args = process.argv.slice(2)
const force = args.includes('--force')
const [command, rawName, ...rest] = args.filter((a) => a !== '--force')
if (OPS_COMMANDS.includes(command)) {
  if (rawName === undefined) {
    console.error(USAGE)
    process.exit(2)
  }
  try {
    console.log(await runOpsCommand(command, rawName, { force }))
    process.exit(0)
  } catch (err) {
    console.error(typeof err?.code === 'number' ? err.message : `admin: ${err?.stack ?? err}`)
    process.exit(typeof err?.code === 'number' ? err.code : 1)
  }
}
const keyCommand = command === 'server-key' && ((rawName === 'create' && rest.length === 2) || (rawName === 'revoke' && rest.length === 1))
if (!keyCommand && ((command !== 'promote' && command !== 'demote') || rawName === undefined)) {
  console.error(USAGE)
  process.exit(2)
}
const username = keyCommand ? '' : rawName.trim().toLowerCase()
const role = command === 'promote' ? 'admin' : 'user'

/** Exit codes: 0 done (or nothing to do), 1 failure, 2 usage, 3 not found, 4 last active admin, 5 a bot. */
class Refusal extends Error { constructor (message, code) { super(message); this.code = code } }

const BOT_REFUSAL = () => `${username} is a bot; bots cannot be platform admins`

/** A server key created or revoked, in one transaction with its audit entry. */
async function applyServerKey (query) {
  await query('BEGIN', [])
  try {
    if (rawName === 'create') {
      const [name, scopeList] = rest
      const scopes = [...new Set(scopeList.split(',').map((x) => x.trim()).filter(Boolean))]
      if (name.trim() === '' || name.length > 64) throw new Refusal('name: 1-64 characters', 2)
      if (scopes.length === 0 || !scopes.every((x) => SCOPES.includes(x))) throw new Refusal(`scopes: one or more of ${SCOPES.join(', ')}`, 2)
      const key = 'rsk_' + randomBytes(32).toString('base64url')
      const id = randomUUID()
      await query('INSERT INTO server_keys (id, name, key_hash, scopes) VALUES ($1, $2, $3, $4)', [id, name.trim(), createHash('sha256').update(key).digest('hex'), scopes])
      await query('INSERT INTO audit_log (id, actor_id, action, target_type, target_id, reason, details) VALUES ($1, NULL, $2, $3, $4, $5, $6)',
        [randomUUID(), 'server_key.create', 'server_key', id, 'npm run admin', JSON.stringify({ name: name.trim(), scopes })])
      await query('COMMIT', [])
      return `server key ${id} (${scopes.join(', ')}), shown only this once:\n${key}`
    }
    const [id] = rest
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new Refusal(`No server key ${id}`, 3)
    const rows = await query('UPDATE server_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING name', [id.toLowerCase()])
    if (rows.length === 0) {
      const known = await query('SELECT 1 FROM server_keys WHERE id = $1', [id.toLowerCase()])
      await query('ROLLBACK', [])
      if (known.length === 0) throw new Refusal(`No server key ${id}`, 3)
      return `server key ${id} was already revoked`
    }
    await query('INSERT INTO audit_log (id, actor_id, action, target_type, target_id, reason, details) VALUES ($1, NULL, $2, $3, $4, $5, $6)',
      [randomUUID(), 'server_key.revoke', 'server_key', id.toLowerCase(), 'npm run admin', JSON.stringify({ name: rows[0].name })])
    await query('COMMIT', [])
    return `server key ${id} revoked`
  } catch (err) {
    await query('ROLLBACK', []).catch(() => {})
    throw err
  }
}

/** The change, in one transaction; `query(text, values)` returns rows. */
async function apply (query) {
  if (keyCommand) return await applyServerKey(query)
  await query('BEGIN', [])
  try {
    const [user] = await query('SELECT id, role, is_bot FROM users WHERE username = $1 AND deleted_at IS NULL FOR UPDATE', [username])
    if (user === undefined) throw new Refusal(`No user named "${username}"`, 3)
    if (user.role === role) {
      await query('ROLLBACK', [])
      return `${username} is already ${role === 'admin' ? 'an admin' : 'not an admin'}`
    }
    if (role === 'admin' && user.is_bot) throw new Refusal(BOT_REFUSAL(), 5)
    // The database decides whether an active human admin is left (race-safe: its trigger locks).
    await query('UPDATE users SET role = $1::platform_role, updated_at = now() WHERE id = $2', [role, user.id])
    await query('INSERT INTO audit_log (id, actor_id, action, target_type, target_id, reason) VALUES ($1, NULL, $2, $3, $4, $5)',
      [randomUUID(), role === 'admin' ? 'user.promote' : 'user.demote', 'user', user.id, 'npm run admin'])
    await query('COMMIT', [])
    return `${username} is now ${role === 'admin' ? 'an admin' : 'a plain user'} (from their next access token)`
  } catch (err) {
    await query('ROLLBACK', []).catch(() => {})
    if (err?.code === 'RA001') throw new Refusal(`${username} is the last active admin; promote another first`, 4)
    if (err?.code === '23514' && String(err.message).includes('users_bot_never_admin')) throw new Refusal(BOT_REFUSAL(), 5)
    throw err
  }
}

async function withPostgres (url) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await apply(async (text, values) => (await client.query(text, values)).rows)
  } finally {
    await client.end()
  }
}

async function withPglite (dir) {
  if (dir.includes('memory://') || !existsSync(join(dir, 'PG_VERSION'))) {
    throw new Refusal(`No PGlite database at ${dir}. Start the server once to create it, set PGLITE_DIR/DATA_DIR, or set DATABASE_URL.`, 1)
  }
  if (existsSync(join(dir, 'postmaster.pid')) && !force) {
    throw new Refusal(`The PGlite database at ${dir} is in use (postmaster.pid exists): the server holds it. ` +
      'Stop the server and run this again. If no server runs (it crashed), add --force.', 1)
  }
  const db = await openPglite(dir, undefined, { liftoffOnly: true })
  try {
    return await apply(async (text, values) => (await db.query(text, values)).rows)
  } finally {
    await db.close()
  }
}

try {
  const databaseUrl = process.env.DATABASE_URL || undefined
  const message = databaseUrl !== undefined
    ? await withPostgres(databaseUrl)
    : await withPglite(resolve(process.env.PGLITE_DIR || join(process.env.DATA_DIR || './data', 'pglite')))
  console.log(message)
} catch (err) {
  // 42P01 / 42704: no users table or no role column yet: the database predates the migrations.
  const unmigrated = err?.code === '42P01' || err?.code === '42704' || err?.code === '42703'
  console.error(err instanceof Refusal ? err.message : unmigrated ? `admin: the database is not migrated (${err.message}); start the server once to apply the migrations` : `admin: ${err.message}`)
  process.exit(err instanceof Refusal ? err.code : 1)
}
