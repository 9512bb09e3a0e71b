#!/usr/bin/env node
// `npm run studio [-- --port 5555 --browser none]`: Prisma Studio on the server's data.
// - DATABASE_URL set: Studio talks to that PostgreSQL (prisma.config.ts reads DATABASE_URL).
// - Otherwise: the embedded PGlite directory (PGLITE_DIR, default DATA_DIR/pglite) is served
//   on a loopback PostgreSQL port with @electric-sql/pglite-socket and Studio points at it.
//   PGlite is one process's files: stop the server first, and do not start it while Studio
//   runs, or both write the same directory.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const prismaCli = fileURLToPath(new URL('./prisma.mjs', import.meta.url))
const args = process.argv.slice(2)

/** Runs `prisma studio` and resolves with its exit code; Ctrl-C and SIGTERM reach it. */
function runStudio (env) {
  const child = spawn(process.execPath, [prismaCli, 'studio', ...args], { stdio: 'inherit', env })
  const forward = (signal) => { child.kill(signal) }
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward)
      process.off('SIGTERM', forward)
      resolve(code ?? (signal === null ? 1 : 0))
    })
  })
}

if (process.env.DATABASE_URL) {
  process.exit(await runStudio(process.env))
}

const dir = resolve(process.env.PGLITE_DIR ?? join(process.env.DATA_DIR || './data', 'pglite'))
if (dir.includes('memory://') || !existsSync(join(dir, 'PG_VERSION'))) {
  console.error(`No PGlite database at ${dir}.\n` +
    'Start the server once (npm start) to create and migrate it, set PGLITE_DIR/DATA_DIR to where it is, ' +
    'or set DATABASE_URL to browse PostgreSQL.')
  process.exit(1)
}

const { PGlite } = await import('@electric-sql/pglite')
const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket')

console.error(`Serving the PGlite data in ${dir} to Prisma Studio. Keep the server stopped while Studio runs.`)
// The search indexes use pg_trgm: without it, writes to messages fail.
const db = await PGlite.create(dir, { extensions: { pg_trgm } })
// Studio opens a few connections; the socket server multiplexes them onto the one PGlite.
const server = new PGLiteSocketServer({
  db,
  host: '127.0.0.1',
  port: Number(process.env.STUDIO_DB_PORT ?? 0),
  maxConnections: 10
})
await server.start()
const address = server.getServerConn()
const url = `postgresql://postgres:postgres@${address}/postgres?sslmode=disable`
console.error(`PGlite listening on ${address}`)

let code = 1
try {
  code = await runStudio({ ...process.env, DATABASE_URL: url })
} finally {
  await server.stop()
  await db.close()
}
process.exit(code)
