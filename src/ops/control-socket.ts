import fp from 'fastify-plugin'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { chmodSync, rmSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The embedded store (PGlite) belongs to this process: another process cannot open its
 * files while the server runs. So an online backup asks the server for them, through a
 * local control socket at DATA_DIR/control.sock (mode 0600: whoever may read DATA_DIR may
 * back it up; no network listener, no token). One request:
 *   POST /pgdata -> PGlite's data-directory dump (dumpDataDir, a tar), taken between two
 *   queries, so it holds every transaction committed before it and none after.
 * `npm run admin -- backup` (scripts/lib/backup.mjs) calls it when the server holds the store.
 * Only when this process opened a PGlite on a directory (not memory, not a store handed in).
 */
export const CONTROL_SOCKET = 'control.sock'

/** Whether something answers on the socket (a stale file after a crash does not). */
async function answering (path: string): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = connect(path)
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => { resolve(false) })
  })
}

export default fp(async (app) => {
  const dump = app.embeddedDump
  if (dump === undefined) return
  const path = join(app.config.DATA_DIR, CONTROL_SOCKET)
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/pgdata') {
      res.writeHead(404).end()
      return
    }
    const started = Date.now()
    dump().then(async (blob) => {
      const bytes = Buffer.from(await blob.arrayBuffer())
      app.log.info({ bytes: bytes.length, ms: Date.now() - started }, 'backup: embedded store dumped for the admin command')
      res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': bytes.length }).end(bytes)
    }, (err: unknown) => {
      app.log.error({ err }, 'backup: dump failed')
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String((err as Error).message))
    })
  })
  const listen = async (): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => { server.off('error', reject); resolve() })
    })
  }
  try {
    await listen()
  } catch (err) {
    // A file left by a crashed server answers nothing: take its place. A live one is another
    // server on the same DATA_DIR, which PGlite's own lock would already have refused.
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || await answering(path)) {
      app.log.warn({ err, path }, 'control socket not available: `npm run admin -- backup` cannot reach this server')
      return
    }
    rmSync(path, { force: true })
    await listen()
  }
  chmodSync(path, 0o600)
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    rmSync(path, { force: true })
  })
}, { name: 'control-socket', dependencies: ['config', 'db'] })
