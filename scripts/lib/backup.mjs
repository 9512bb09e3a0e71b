// `npm run admin -- backup <file>` and `restore <file>`: one file (a gzipped tar) with the
// database, the uploads and the secrets the server generated into DATA_DIR.
//
//   manifest.json            format, store ('pglite' | 'postgres'), when, which migrations
//   database/pgdata.tar      PGlite: its data-directory dump (dumpDataDir), or
//   database/postgres.dump   PostgreSQL: pg_dump's custom format (pg_dump from PATH)
//   uploads/…                UPLOAD_DIR's files
//   secrets/…                DATA_DIR/jwt-secret, DATA_DIR/vapid-keys.json when present
//
// Online: on PostgreSQL pg_dump reads one snapshot while the server keeps writing. PGlite is
// one process's files, so while the server holds them (postmaster.pid) the server itself
// dumps them, asked through its control socket DATA_DIR/control.sock
// (src/ops/control-socket.ts): the command needs the server's DATA_DIR. The database is
// dumped before the uploads are copied, so every upload the dump names is in the file.
import { spawn } from 'node:child_process'
import * as tar from 'tar'
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Refusal, SECRET_FILES, connectPostgres, isEmptyDir, openPglite, pgliteHeld, redact, requireEmptyPostgres, requirePglite } from './stores.mjs'
import { moveToPostgres } from './move-to-postgres.mjs'

const FORMAT = 'relay-im-backup'
const VERSION = 1
const CONTROL_SOCKET = 'control.sock'

/** The running server's dump of its PGlite store, through the control socket. */
async function dumpThroughServer (dataDir) {
  const socketPath = join(dataDir, CONTROL_SOCKET)
  return await new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/pgdata' }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        if (res.statusCode === 200) resolve(body)
        else reject(new Refusal(`The server could not dump its store (${res.statusCode}): ${body.toString('utf8')}`))
      })
      res.on('error', reject)
    })
    req.on('error', (err) => {
      reject(new Refusal(`The PGlite store is in use (postmaster.pid) but no server answers on ${socketPath} (${err.code ?? err.message}). ` +
        'Run this with the server\'s DATA_DIR; if no server runs (it crashed), add --force to read the files directly.'))
    })
    req.end()
  })
}

/** Runs a PostgreSQL client program from PATH; a missing one is a clear refusal. */
async function runPgTool (program, args) {
  return await new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c) => { stderr += c })
    child.on('error', (err) => {
      reject(err.code === 'ENOENT'
        ? new Refusal(`${program} was not found on PATH: install PostgreSQL's client programs (Debian: apt-get install postgresql-client), the same major version as the server or newer.`)
        : err)
    })
    child.on('close', (code) => {
      if (code === 0) resolve()
      else reject(new Refusal(`${program} failed (exit ${code}): ${stderr.trim()}`))
    })
  })
}

async function migrationsOf (query) {
  return (await query('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1')).map((r) => r.migration_name)
}

/** Files of `dir` except partial uploads in progress (dot files). */
function copyUploads (from, to) {
  mkdirSync(to, { recursive: true })
  if (!existsSync(from)) return 0
  let n = 0
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || !entry.isFile()) continue
    cpSync(join(from, entry.name), join(to, entry.name))
    n++
  }
  return n
}

/** Writes the backup of the configured store to `file`; returns what it holds. */
export async function backup ({ file, stores, force = false, log = () => {} }) {
  const staging = mkdtempSync(join(tmpdir(), 'relay-backup-'))
  try {
    mkdirSync(join(staging, 'database'))
    let store, migrations, online = false
    const started = new Date()
    if (stores.databaseUrl !== undefined) {
      store = 'postgres'
      const client = await connectPostgres(stores.databaseUrl)
      try { migrations = await migrationsOf(async (t) => (await client.query(t)).rows) } finally { await client.end() }
      log(`pg_dump ${redact(stores.databaseUrl)}…`)
      await runPgTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${join(staging, 'database', 'postgres.dump')}`, `--dbname=${stores.databaseUrl}`])
      online = true
    } else {
      store = 'pglite'
      requirePglite(stores.pgliteDir)
      let bytes
      if (pgliteHeld(stores.pgliteDir) && !force) {
        log('the server holds the store: asking it for a dump…')
        bytes = await dumpThroughServer(stores.dataDir)
        online = true
      } else {
        const db = await openPglite(stores.pgliteDir, undefined, { liftoffOnly: true })
        try { bytes = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer()) } finally { await db.close() }
      }
      writeFileSync(join(staging, 'database', 'pgdata.tar'), bytes)
      // The migrations the dump holds, read back from the dump itself (no second open of a held store).
      const copy = await openPglite('memory://', new Blob([bytes]), { liftoffOnly: true })
      try { migrations = await migrationsOf(async (t) => (await copy.query(t)).rows) } finally { await copy.close() }
    }
    const uploads = copyUploads(stores.uploadDir, join(staging, 'uploads'))
    mkdirSync(join(staging, 'secrets'))
    const secrets = SECRET_FILES.filter((name) => existsSync(join(stores.dataDir, name)))
    for (const name of secrets) cpSync(join(stores.dataDir, name), join(staging, 'secrets', name))
    const manifest = { format: FORMAT, version: VERSION, store, createdAt: started.toISOString(), online, migrations, uploads, secrets }
    writeFileSync(join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
    mkdirSync(dirname(file), { recursive: true })
    const partial = `${file}.partial`
    await tar.c({ gzip: true, file: partial, cwd: staging, portable: true }, ['manifest.json', 'database', 'uploads', 'secrets'])
    renameSync(partial, file)
    return manifest
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/** The secrets a restore would write, refused when DATA_DIR already has different ones. */
function checkSecrets (from, dataDir, names) {
  for (const name of names) {
    const target = join(dataDir, name)
    if (existsSync(target) && readFileSync(target, 'utf8') !== readFileSync(join(from, name), 'utf8')) {
      throw new Refusal(`${target} exists with another secret: restore into a new DATA_DIR (tokens are signed with the backup's).`, 6)
    }
  }
}

/**
 * Restores `file` into the configured store, which must be empty: a new PGlite directory, or
 * (DATABASE_URL) an empty PostgreSQL database. A PGlite backup restores into PostgreSQL too
 * (loaded into a temporary directory, then moved); a PostgreSQL one needs PostgreSQL.
 */
export async function restore ({ file, stores, log = () => {} }) {
  if (!existsSync(file)) throw new Refusal(`No backup at ${file}`)
  const staging = mkdtempSync(join(tmpdir(), 'relay-restore-'))
  try {
    await tar.x({ file, cwd: staging })
    const manifestPath = join(staging, 'manifest.json')
    const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : undefined
    if (manifest?.format !== FORMAT || manifest.version !== VERSION) throw new Refusal(`${file} is not a relay-im backup (version ${VERSION})`)

    // Every check before anything is written.
    if (!isEmptyDir(stores.uploadDir)) throw new Refusal(`${stores.uploadDir} is not empty: restore into a new DATA_DIR (or UPLOAD_DIR)`, 6)
    checkSecrets(join(staging, 'secrets'), stores.dataDir, manifest.secrets)
    let result
    if (stores.databaseUrl !== undefined) {
      const client = await connectPostgres(stores.databaseUrl)
      try { await requireEmptyPostgres(client, stores.databaseUrl) } finally { await client.end() }
      if (manifest.store === 'postgres') {
        log(`pg_restore into ${redact(stores.databaseUrl)}…`)
        await runPgTool('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${stores.databaseUrl}`, join(staging, 'database', 'postgres.dump')])
        result = { store: 'postgres' }
      } else {
        const temp = join(staging, 'pglite')
        const db = await openPglite(temp, new Blob([readFileSync(join(staging, 'database', 'pgdata.tar'))]))
        await db.close()
        log('moving the embedded backup into PostgreSQL…')
        result = { store: 'postgres', moved: await moveToPostgres({ pgliteDir: temp, url: stores.databaseUrl, log }) }
      }
    } else {
      if (manifest.store !== 'pglite') throw new Refusal('This is a PostgreSQL backup: set DATABASE_URL to an empty PostgreSQL database to restore it.')
      if (!isEmptyDir(stores.pgliteDir)) throw new Refusal(`${stores.pgliteDir} is not empty: restore into a new DATA_DIR (or PGLITE_DIR)`, 6)
      mkdirSync(stores.pgliteDir, { recursive: true })
      const db = await openPglite(stores.pgliteDir, new Blob([readFileSync(join(staging, 'database', 'pgdata.tar'))]), { liftoffOnly: true })
      await db.close()
      result = { store: 'pglite' }
    }
    const uploads = copyUploads(join(staging, 'uploads'), stores.uploadDir)
    mkdirSync(stores.dataDir, { recursive: true })
    for (const name of manifest.secrets) {
      const target = join(stores.dataDir, name)
      if (existsSync(target)) continue
      cpSync(join(staging, 'secrets', name), target)
      chmodSync(target, 0o600)
    }
    return { ...result, from: manifest.store, createdAt: manifest.createdAt, uploads, secrets: manifest.secrets }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}
