/**
 * Server CPU per history page, in process (app.inject: no sockets, no generator), so the
 * number holds on a busy machine better than a latency: process.cpuUsage() over N pages of
 * `limit` at random `before` cursors, after a warm-up. Needs a seeded database, e.g. one
 * kept by `npm run bench -- history --keep-db`:
 *   npx tsx bench/history-cpu.ts postgresql://postgres@127.0.0.1:5432/bench_... [pages=2000] [limit=50]
 */
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

const [databaseUrl, pagesArg, limitArg] = process.argv.slice(2)
if (databaseUrl === undefined) {
  process.stderr.write('usage: tsx bench/history-cpu.ts <DATABASE_URL> [pages] [limit]\n')
  process.exit(2)
}
const pages = Number(pagesArg ?? 2000)
const limit = Number(limitArg ?? 50)
const app = await buildApp(loadConfig({}, {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  JWT_SECRET: 'history-cpu-history-cpu-history-cpu-history-cpu',
  DATABASE_URL: databaseUrl,
  JOBS_WORKER: false
}))
await app.ready()
try {
  const [member] = await app.sql.query<{ conversation_id: string, user_id: string, last_seq: number }>(
    `SELECT m.conversation_id, m.user_id, c.last_seq FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
     ORDER BY c.last_seq DESC LIMIT 1`, [])
  if (member === undefined) throw new Error('no conversation in that database')
  const headers = { authorization: `Bearer ${app.signAccessToken(member.user_id)}` }
  const page = async (): Promise<void> => {
    const before = 1 + Math.floor(Math.random() * member.last_seq)
    const res = await app.inject({ method: 'GET', url: `/api/conversations/${member.conversation_id}/messages?before=${before}&limit=${limit}`, headers })
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  }
  for (let i = 0; i < 300; i++) await page()
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < pages; i++) await page()
  const used = process.cpuUsage(cpu)
  const wallMs = performance.now() - t0
  const ms = (used.user + used.system) / 1000 / pages
  process.stdout.write(`${pages} pages of ${limit} (${member.last_seq} messages): ${ms.toFixed(3)} ms CPU a page ` +
    `(user ${(used.user / 1000 / pages).toFixed(3)}, system ${(used.system / 1000 / pages).toFixed(3)}), wall ${(wallMs / pages).toFixed(2)} ms a page\n`)
} finally {
  await app.close()
}
