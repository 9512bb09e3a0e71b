// node bench/results/2026-12-01b/pglite-micro.mjs <liftoff 0|1> <shared_buffers MB|0> : CPU per statement of an insert-heavy loop on PGlite
import { setFlagsFromString } from 'node:v8'
const [liftoff, sb] = process.argv.slice(2)
if (liftoff === '1') setFlagsFromString('--liftoff-only')
const { PGlite } = await import('@electric-sql/pglite')
const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
const extra = sb === '0' ? [] : ['-c', `shared_buffers=${sb}MB`]
const c0 = process.cpuUsage()
const db = await PGlite.create('memory://', { extensions: { pg_trgm }, startParams: [...PGlite.defaultStartParams, ...extra] })
const openCpu = process.cpuUsage(c0)
await db.exec(`CREATE EXTENSION pg_trgm; CREATE TABLE conv (id int primary key, last_seq int not null default 0);
CREATE TABLE msg (id bigserial primary key, conv int not null, seq int not null, sender uuid not null, cmid text not null, content jsonb not null, created_at timestamptz default now(), unique (conv, seq), unique (sender, cmid));
CREATE INDEX msg_trgm ON msg USING gin ((content->>'text') gin_trgm_ops);
CREATE INDEX msg_fts ON msg USING gin (to_tsvector('english', content->>'text'));
INSERT INTO conv SELECT g FROM generate_series(1, 500) g;`)
const SQL = `WITH c AS (UPDATE conv SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
INSERT INTO msg (conv, seq, sender, cmid, content) SELECT $1, c.last_seq, $2, $3, $4::jsonb FROM c RETURNING id, seq, created_at`
const run = async (n, off) => { for (let i = 0; i < n; i++) { const k = off + i; await db.query(SQL, [k % 500 + 1, '00000000-0000-0000-0000-' + String(k % 1000).padStart(12, '0'), 'c' + k, JSON.stringify({ text: 'bench message: the quick brown fox jumps over the lazy dog ' + k })]) } }
await run(3000, 0)
const N = 20000
const c1 = process.cpuUsage(); const t1 = performance.now()
await run(N, 3000)
const u = process.cpuUsage(c1); const wall = performance.now() - t1
const m = process.memoryUsage()
console.log(JSON.stringify({ liftoff, sb, openCpuMs: Math.round((openCpu.user + openCpu.system) / 1000), cpuUsPerStmt: Math.round((u.user + u.system) / N), wallUsPerStmt: Math.round(wall * 1000 / N), rssMb: Math.round(m.rss / 1048576), externalMb: Math.round(m.external / 1048576) }))
await db.close()
