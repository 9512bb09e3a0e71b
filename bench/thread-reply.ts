/**
 * What a thread reply costs against a plain message, in one session: the production build on
 * PostgreSQL, `--senders` sockets (one per seeded group of 5, each group's first member), each
 * sending its messages one at a time (send, await the ack, send), in alternating phases of
 * `--messages` plain messages and `--messages` replies (each in the thread of a seeded
 * message of its group), `--rounds` times. Per phase: the server process's CPU and the CPU of
 * every PostgreSQL backend of the bench database (/proc, user + system), per message.
 *
 *   npx tsx bench/thread-reply.ts [--senders 20] [--messages 2000] [--rounds 3] [--no-build]
 *
 * Alternating the phases spreads the machine's other load over both kinds alike; medians of
 * the rounds are what BENCHMARKS.md records ("Threads").
 */
import { parseArgs } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import { randomBytes, randomUUID } from 'node:crypto'
import { io, type Socket } from 'socket.io-client'
import { createDatabase, seedConversationHistory, seedGroups, seedUsers } from './lib/database.js'
import { groupId, md5Uuid, signAccessToken, userId } from './lib/ids.js'
import { readProc } from './lib/proc.js'
import { ensureBuild, freePort, serverEnv, start, stop } from './lib/server.js'
import { log } from './lib/log.js'

const { values } = parseArgs({
  options: {
    senders: { type: 'string', default: '20' },
    messages: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    'no-build': { type: 'boolean', default: false }
  }
})
const senders = Number(values.senders)
const perPhase = Number(values.messages)
const rounds = Number(values.rounds)
const GROUP_SIZE = 5
const HISTORY = 100
const CONTENT = 'bench message: the quick brown fox jumps over the lazy dog 0123456789'

ensureBuild(values['no-build'])
const dir = mkdtempSync(join(tmpdir(), 'bench-threads-'))
const db = await createDatabase('postgres', `thr_${Date.now().toString(36)}`)
const secret = randomBytes(32).toString('hex')
let server: Awaited<ReturnType<typeof start>> | undefined
const sockets: Socket[] = []
try {
  await seedUsers(db, senders * GROUP_SIZE)
  await seedGroups(db, senders, GROUP_SIZE)
  await seedConversationHistory(db, senders, true, GROUP_SIZE, HISTORY)
  server = await start('server', await freePort(), serverEnv({ JWT_SECRET: secret, DATA_DIR: join(dir, 'data'), ...db.serverEnv }), join(dir, 'server.log'))
  for (let k = 0; k < senders; k++) {
    const s = io(server.url, { auth: { token: signAccessToken(secret, userId(k * GROUP_SIZE), 3600) }, transports: ['websocket'] })
    await new Promise<void>((resolve, reject) => { s.once('connect', () => { resolve() }); s.once('connect_error', reject) })
    sockets.push(s)
  }
  // A few roots per group among its seeded messages (seedConversationHistory's ids).
  const rootsOf = (k: number): string[] => [HISTORY, HISTORY - 1, HISTORY - 2].map((s) => md5Uuid(`h${k}:${s}`))

  async function phase (kind: 'plain' | 'reply'): Promise<{ kind: string, serverMs: number, pgMs: number, wallS: number }> {
    // Per backend: a backend that leaves the pool mid-phase keeps its last reading, one that joins counts from 0.
    const pgBefore = new Map((await db.backendPids()).map((pid) => [pid, readProc(pid)?.cpuS ?? 0]))
    const pgLast = new Map(pgBefore)
    const sampler = setInterval(() => { void db.backendPids().then((pids) => { for (const pid of pids) { const c = readProc(pid)?.cpuS; if (c !== undefined) pgLast.set(pid, c) } }) }, 200)
    const cpu = async (): Promise<{ server: number, pg: number }> => {
      for (const pid of await db.backendPids()) { const c = readProc(pid)?.cpuS; if (c !== undefined) pgLast.set(pid, c) }
      let pg = 0
      for (const [pid, c] of pgLast) pg += c - (pgBefore.get(pid) ?? 0)
      return { server: readProc(server!.pid)?.cpuS ?? 0, pg }
    }
    const before = { server: readProc(server!.pid)?.cpuS ?? 0, pg: 0 }
    const started = performance.now()
    const each = Math.ceil(perPhase / senders)
    await Promise.all(sockets.map(async (s, k) => {
      const roots = rootsOf(k)
      for (let i = 0; i < each; i++) {
        const payload = { conversationId: groupId(k), clientMsgId: randomUUID(), type: 'text', content: CONTENT, ...(kind === 'reply' ? { threadRootId: roots[i % roots.length] } : {}) }
        const ack = await s.timeout(30_000).emitWithAck('message:send', payload)
        if (ack?.ok !== true) throw new Error(`send failed: ${JSON.stringify(ack)}`)
      }
    }))
    clearInterval(sampler)
    const after = await cpu()
    const n = each * senders
    return { kind, serverMs: (after.server - before.server) * 1000 / n, pgMs: (after.pg - before.pg) * 1000 / n, wallS: (performance.now() - started) / 1000 }
  }

  await phase('plain') // warm-up: plans, JIT, connections
  await phase('reply')
  const results: Array<Awaited<ReturnType<typeof phase>> & { load1: number }> = []
  for (let r = 0; r < rounds; r++) {
    const order: Array<'plain' | 'reply'> = r % 2 === 0 ? ['plain', 'reply'] : ['reply', 'plain']
    for (const kind of order) {
      const res = { ...await phase(kind), load1: Math.round(loadavg()[0]! * 100) / 100 }
      results.push(res)
      log(JSON.stringify(res))
    }
  }
  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
  const of = (kind: string, key: 'serverMs' | 'pgMs'): number => median(results.filter((r) => r.kind === kind).map((r) => r[key]))
  const summary = {
    messagesPerPhase: Math.ceil(perPhase / senders) * senders,
    rounds,
    plain: { serverMs: of('plain', 'serverMs'), pgMs: of('plain', 'pgMs') },
    reply: { serverMs: of('reply', 'serverMs'), pgMs: of('reply', 'pgMs') },
    load: loadavg().map((v) => Math.round(v * 100) / 100)
  }
  const pct = (a: number, b: number): number => Math.round((a / b - 1) * 1000) / 10
  console.log(JSON.stringify({ ...summary, replyExtraPct: { server: pct(summary.reply.serverMs, summary.plain.serverMs), pg: pct(summary.reply.pgMs, summary.plain.pgMs), total: pct(summary.reply.serverMs + summary.reply.pgMs, summary.plain.serverMs + summary.plain.pgMs) } }))
} finally {
  for (const s of sockets) s.close()
  if (server !== undefined) await stop(server)
  await db.drop().catch(() => {})
  rmSync(dir, { recursive: true, force: true })
}
