/**
 * The in-process closed-loop group send of bench/before-send.ts and bench/app-events.ts: a
 * production-mode app on an in-memory PGlite (or DATABASE_URL), one group of `senders` members
 * plus its owner, each member's socket sending one message at a time, ack before the next.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { io, type Socket } from 'socket.io-client'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig, type RawConfig } from '../../src/config.js'

/** The app, listening on 127.0.0.1, with the bench's settings and `extra`. */
export async function benchApp (extra: Partial<RawConfig>): Promise<{ app: App, url: string }> {
  const config = loadConfig({}, {
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-that-is-at-least-32-characters-long',
    LOG_LEVEL: 'warn',
    SCRYPT_LOG_N: 10,
    PGLITE_DIR: 'memory://',
    DATA_DIR: `/tmp/relay-bench-${randomUUID()}`,
    PORT: 0,
    HOST: '127.0.0.1',
    SOCKET_EVENTS_PER_S: 100_000,
    ...extra
  })
  const app = await buildApp(config, { logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` }
}

/** A group of `senders` connected members (and its owner); one warm-up message each. */
export async function groupOfSenders (app: App, url: string, senders: number): Promise<{ groupId: string, sockets: Socket[] }> {
  const ids: string[] = []
  for (let i = 0; i < senders + 1; i++) {
    const id = randomUUID()
    await app.prisma.user.create({ data: { id, username: `b${i}_${id.slice(0, 8)}`, displayName: 'b', passwordHash: '!' } })
    ids.push(id)
  }
  const group = await app.groups.create(ids[0]!, { name: 'bench', memberIds: ids.slice(1) })
  const sockets = await Promise.all(ids.slice(1).map(async (id) => {
    const s = io(url, { transports: ['websocket'], auth: { token: app.signAccessToken(id) }, reconnection: false })
    await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('connect_error', reject) })
    return s
  }))
  // Warm-up: plans, JIT, keep-alive connections to whatever the server calls.
  await Promise.all(sockets.map(async (s) => await s.timeout(10_000).emitWithAck('message:send', { conversationId: group.id, clientMsgId: randomUUID(), type: 'text', content: 'warm' })))
  return { groupId: group.id, sockets }
}

/** Every socket sends `perSender` messages, one at a time; the ack latencies (sorted) and the wall time. */
export async function sendClosedLoop (sockets: Socket[], groupId: string, perSender: number): Promise<{ latencies: number[], seconds: number }> {
  const latencies: number[] = []
  const started = performance.now()
  await Promise.all(sockets.map(async (s) => {
    for (let i = 0; i < perSender; i++) {
      const t0 = performance.now()
      const ack = await s.timeout(10_000).emitWithAck('message:send', { conversationId: groupId, clientMsgId: randomUUID(), type: 'text', content: `bench ${i}` })
      if (ack?.ok !== true) throw new Error(`send failed: ${JSON.stringify(ack)}`)
      latencies.push(performance.now() - t0)
    }
  }))
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 }
}

export const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!

/** A small HTTP server in a process of its own (`code` sends its port over IPC). */
export async function startServerProcess (code: string): Promise<{ port: number, stop: () => void }> {
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve) => child.once('message', (m) => { resolve(Number(m)) }))
  return { port, stop: () => { child.kill() } }
}
