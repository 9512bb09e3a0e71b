// The operations commands of `npm run admin` (scripts/admin.mjs): backup, restore, move-to-postgres.
import { resolve } from 'node:path'
import { backup, restore } from './backup.mjs'
import { moveToPostgres } from './move-to-postgres.mjs'
import { Refusal, redact, storesFromEnv } from './stores.mjs'

export const OPS_COMMANDS = ['backup', 'restore', 'move-to-postgres']

const log = (line) => { console.error(`admin: ${line}`) }

/** Runs one command; returns the line to print. Throws Refusal (its code is the exit code). */
export async function runOpsCommand (command, arg, { force }) {
  const stores = storesFromEnv()
  if (command === 'backup') {
    const file = resolve(arg)
    const m = await backup({ file, stores, force, log })
    return `backup of the ${m.store === 'pglite' ? 'embedded store' : 'PostgreSQL database'} written to ${file} ` +
      `(${m.online ? 'online, ' : ''}${m.migrations.length} migrations, ${m.uploads} uploads, secrets: ${m.secrets.join(', ') || 'none'})`
  }
  if (command === 'restore') {
    const r = await restore({ file: resolve(arg), stores, log })
    const where = r.store === 'pglite' ? stores.pgliteDir : redact(stores.databaseUrl)
    return `restored the ${r.from} backup of ${r.createdAt} into ${where} (${r.uploads} uploads, secrets: ${r.secrets.join(', ') || 'none'})` +
      (r.moved !== undefined ? `; checked ${r.moved.tables} tables, ${r.moved.rows} rows, ${r.moved.conversations} conversations` : '')
  }
  if (!/^postgres(ql)?:\/\//.test(arg)) throw new Refusal('move-to-postgres takes a postgresql:// URL of an empty database', 2)
  const r = await moveToPostgres({ pgliteDir: stores.pgliteDir, url: arg, force, log })
  return `moved ${stores.pgliteDir} into ${redact(arg)} in ${(r.ms / 1000).toFixed(1)} s: ${r.tables} tables, ${r.rows} rows, ` +
    `${r.messages} messages in ${r.conversations} conversations, counts and message checksums equal. ` +
    `Start the server with DATABASE_URL set and the same DATA_DIR (uploads and jwt-secret stay there), or set JWT_SECRET to DATA_DIR/jwt-secret's content.`
}
