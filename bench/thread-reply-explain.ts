/**
 * Where a thread reply's PostgreSQL time goes: EXPLAIN (ANALYZE) of the send statement for one
 * plain message and for one reply, alternating, `--n` times each on one backend (seeded like
 * bench/thread-reply.ts: groups of 5 with history); per plan node (CTE), the median of its
 * own time, and the statement's execution time. A profile, not a CPU figure: ANALYZE's timing
 * adds its own overhead per node.
 *
 *   npx tsx --conditions=@relay-im/source bench/thread-reply-explain.ts [--n 300]
 */
import { parseArgs } from 'node:util'
import { randomUUID } from 'node:crypto'
import { createDatabase, seedConversationHistory, seedGroups, seedUsers } from './lib/database.js'
import { groupId, md5Uuid, userId } from './lib/ids.js'
import { SEND_SQL, SEND_THREAD_SQL } from '../src/modules/messages/send-statement.js'
import { uuidv7 } from '../src/lib/uuid.js'

const { values } = parseArgs({ options: { n: { type: 'string', default: '300' } } })
const n = Number(values.n)
const GROUPS = 10
const db = await createDatabase('postgres', `thx_${Date.now().toString(36)}`)
interface Node { 'Node Type': string, 'Subplan Name'?: string, 'CTE Name'?: string, 'Relation Name'?: string, 'Actual Total Time': number, 'Actual Loops': number, Plans?: Node[] }
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? 0 }
try {
  await seedUsers(db, GROUPS * 5)
  await seedGroups(db, GROUPS, 5)
  await seedConversationHistory(db, GROUPS, true, 5, 100)
  const times: Record<string, Record<string, number[]>> = { plain: {}, reply: {} }
  for (let i = 0; i < n * 2; i++) {
    const kind = i % 2 === 0 ? 'plain' : 'reply'
    const k = i % GROUPS
    const params = [[uuidv7()], [groupId(k)], [userId(k * 5)], [randomUUID()], ['text'], [JSON.stringify('bench message: the quick brown fox')],
      [null], [null], [null], [null], [kind === 'reply' ? md5Uuid(`h${k}:100`) : null], [null]]
    const text = kind === 'reply' ? SEND_THREAD_SQL : SEND_SQL
    const [row] = await db.query<{ 'QUERY PLAN': Array<{ Plan: Node, 'Execution Time': number }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, params)
    const plan = row!['QUERY PLAN'][0]!
    const out = times[kind]!
    ;(out.execution ??= []).push(plan['Execution Time'])
    const walk = (node: Node): void => {
      const name = node['Subplan Name'] ?? ''
      if (name.startsWith('CTE ')) (out[name] ??= []).push(node['Actual Total Time'] * node['Actual Loops'])
      for (const c of node.Plans ?? []) walk(c)
    }
    walk(plan.Plan)
  }
  for (const kind of ['plain', 'reply']) {
    const t = times[kind]!
    console.log(kind, Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(median(v) * 1000) / 1000])))
  }
} finally {
  await db.drop().catch(() => {})
}
