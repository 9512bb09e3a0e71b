import t from 'tap'
import { createMessageSender } from '../../../src/modules/messages/index.js'
import { build, counting, createTestDatabase, servicesMode } from '../../helper.js'
import { makeGroup, makeUsers, type User } from '../conversations/helpers.js'

async function groups (app: Awaited<ReturnType<typeof build>>, n: number): Promise<{ users: User[], ids: string[] }> {
  const users = await makeUsers(app, 3)
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push(await makeGroup(app, users[0]!, users.slice(1), `g${i}`))
  return { users, ids }
}

t.test('sends across many conversations are grouped into few statements; seqs gap-free and in send order', async (t) => {
  const databaseUrl = servicesMode ? await createTestDatabase(t) : undefined
  const app = await build(t, {}, { databaseUrl })
  const { users, ids } = await groups(app, 20)
  const sql = counting(app.sql)
  const sender = createMessageSender(sql, { concurrency: 1, maxBatch: 50 })

  // 300 sends issued in one go: 15 per conversation, round-robin over the 20 conversations
  const sends = Array.from({ length: 300 }, (_, i) => ({
    conversationId: ids[i % ids.length]!,
    item: { senderId: users[i % 3]!.id, clientMsgId: `gc-${i}`, type: 'text' as const, content: `m${i}` }
  }))
  const outcomes = await Promise.all(sends.map(async (s) => await sender.send(s.conversationId, s.item)))

  t.ok(outcomes.every((o) => o !== undefined), 'every message stored')
  t.ok(sql.statements.length <= 8, `300 sends in ${sql.statements.length} statements (batch sizes ${sql.statements.join(', ')})`)
  t.ok(Math.max(...sql.statements) <= 50, 'no batch beyond maxBatch')
  for (const id of ids) {
    const seqs = sends.flatMap((s, i) => s.conversationId === id ? [outcomes[i]!.seq] : [])
    t.same(seqs, Array.from({ length: 15 }, (_, k) => k + 1), `conversation ${id.slice(0, 8)}: seqs 1..15 in the order sent`)
  }
  const first = outcomes[0]!
  t.same([...first.memberIds].sort(), users.map((u) => u.id).sort(), 'the member list comes with every message')
  const rows = await app.prisma.message.count({ where: { conversationId: { in: ids } } })
  t.equal(rows, 300, 'exactly 300 rows')
  const lastSeqs = await app.prisma.conversation.findMany({ where: { id: { in: ids } }, select: { lastSeq: true } })
  t.ok(lastSeqs.every((c) => c.lastSeq === 15), 'last_seq of every conversation is 15')
})

t.test('a repeat within one batch and across batches is stored once and consumes no seq', async (t) => {
  const app = await build(t)
  const { users, ids } = await groups(app, 1)
  const sender = createMessageSender(app.sql, { concurrency: 1 })
  const item = { senderId: users[1]!.id, clientMsgId: 'same', type: 'text' as const, content: 'x' }
  const [a, b] = await Promise.all([sender.send(ids[0]!, item), sender.send(ids[0]!, item)])
  t.equal(a?.seq, 1, 'first copy stored with seq 1')
  t.equal(b, undefined, 'second copy in the same batch is a repeat')
  t.equal(await sender.send(ids[0]!, item), undefined, 'a later copy is a repeat')
  const next = await sender.send(ids[0]!, { ...item, clientMsgId: 'other' })
  t.equal(next?.seq, 2, 'the next message gets seq 2: repeats took no seq')
})

t.test('refused senders in a mixed batch take no seq and do not stop the others', async (t) => {
  const app = await build(t)
  const { users, ids } = await groups(app, 2)
  const [outsider] = await makeUsers(app, 1)
  const sender = createMessageSender(app.sql, { concurrency: 1 })
  const results = await Promise.all([
    sender.send(ids[0]!, { senderId: users[0]!.id, clientMsgId: 'r1', type: 'text', content: 'a' }),
    sender.send(ids[0]!, { senderId: outsider!.id, clientMsgId: 'r2', type: 'text', content: 'b' }),
    sender.send(ids[1]!, { senderId: outsider!.id, clientMsgId: 'r3', type: 'text', content: 'c' }),
    sender.send(ids[0]!, { senderId: users[1]!.id, clientMsgId: 'r4', type: 'text', content: 'd' }),
    sender.send(ids[1]!, { senderId: users[2]!.id, clientMsgId: 'r5', type: 'text', content: 'e' })
  ])
  t.same(results.map((r) => r?.seq), [1, undefined, undefined, 2, 1])
})

t.test('a full queue refuses at once with RATE_LIMITED instead of growing without bound', async (t) => {
  const app = await build(t)
  const { users, ids } = await groups(app, 1)
  const sender = createMessageSender(app.sql, { concurrency: 1, maxQueued: 5 })
  const refusals: Array<number | undefined> = []
  const sends = Array.from({ length: 8 }, async (_, i) =>
    await sender.send(ids[0]!, { senderId: users[0]!.id, clientMsgId: `q${i}`, type: 'text', content: 'x' })
      .then((o) => o?.seq ?? 'repeat', (err: { code?: string, retryAfterMs?: number }) => { refusals.push(err.retryAfterMs); return err.code }))
  const results = await Promise.all(sends)
  t.same(results, [1, 2, 3, 4, 5, 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED'])
  t.ok(refusals.every((ms) => Number.isInteger(ms) && ms! > 0), `each refusal says how long the queue needs (${refusals.join(', ')} ms)`)
})

// Two nodes' senders share conversations, and each statement locks several conversation
// rows; a deadlock (PostgreSQL aborts one statement with 40P01) or a lost update would fail a
// send or leave a gap here. The statement takes its locks in id order to rule it out.
t.test('two senders on one database, overlapping conversations in opposite orders: no deadlock, no gap', { skip: servicesMode ? false : 'PostgreSQL only (PGlite runs one statement at a time)' }, async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const nodeA = await build(t, {}, { databaseUrl })
  const nodeB = await build(t, {}, { databaseUrl })
  const { users, ids } = await groups(nodeA, 10)
  // batches of different sizes over different subsets, so the two sides' statements touch
  // the same rows in different orders unless the statement orders its locks
  const a = createMessageSender(nodeA.sql, { concurrency: 3, maxBatch: 7 })
  const b = createMessageSender(nodeB.sql, { concurrency: 3, maxBatch: 4 })
  const reversed = [...ids].reverse()
  const sends: Array<Promise<unknown>> = []
  for (let i = 0; i < 400; i++) {
    sends.push(a.send(ids[(i * 3) % 10]!, { senderId: users[0]!.id, clientMsgId: `a${i}`, type: 'text', content: 'a' }))
    sends.push(b.send(reversed[(i * 7) % 10]!, { senderId: users[1]!.id, clientMsgId: `b${i}`, type: 'text', content: 'b' }))
  }
  const settled = await Promise.allSettled(sends)
  t.same(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason)), [], 'no send failed')
  for (const id of ids) {
    const seqs = (await nodeA.prisma.message.findMany({ where: { conversationId: id }, select: { seq: true }, orderBy: { seq: 'asc' } })).map((m) => m.seq)
    t.same(seqs, Array.from({ length: 80 }, (_, k) => k + 1), `conversation ${id.slice(0, 8)}: 80 messages, seqs 1..80`)
  }
})
