import t, { type Test } from 'tap'
import pg from 'pg'
import { createTestDatabase, listen, servicesMode } from '../../helper.js'
import { connect, makeGroup, makeUsers, type Client } from '../conversations/helpers.js'

const SENDERS = 4
const PER_SENDER = 250
const TOTAL = SENDERS * PER_SENDER

/**
 * Concurrent senders into one group get exactly seqs 1..N, each message once. In services
 * mode the senders are split over two app nodes on one PostgreSQL (the row lock orders
 * them across nodes) and every member listens on both nodes (the Redis adapter fans out).
 */
t.test(`${SENDERS} clients x ${PER_SENDER} concurrent sends -> seqs 1..${TOTAL} with no gap or duplicate`, async (t) => {
  const databaseUrl = servicesMode ? await createTestDatabase(t) : undefined
  const nodes = servicesMode
    ? [await listen(t, {}, { databaseUrl }), await listen(t, {}, { databaseUrl })]
    : [await listen(t)]
  const { app } = nodes[0]!
  const [owner, ...rest] = await makeUsers(app, SENDERS)
  const users = [owner!, ...rest]
  const groupId = await makeGroup(app, owner!, rest)

  const senders: Client[] = []
  const listeners: Client[] = []
  for (const [i, user] of users.entries()) {
    senders.push(await connect(t, nodes[i % nodes.length]!.url, user))
    // with two nodes, each member also listens on the node it does not send from
    if (nodes.length > 1) listeners.push(await connect(t, nodes[(i + 1) % nodes.length]!.url, user))
  }

  const started = Date.now()
  const acks = await Promise.all(senders.flatMap((client, s) => Array.from({ length: PER_SENDER }, async (_, i) =>
    await client.call('message:send', { conversationId: groupId, clientMsgId: `s${s}-m${i}`, type: 'text', content: `sender ${s} message ${i}` }))))
  const elapsed = Date.now() - started
  t.comment(`${TOTAL} concurrent sends over ${nodes.length} node(s) on ${app.dbKind}: ${Math.round(TOTAL / (elapsed / 1000))} messages/s`)

  const failed = acks.filter((a) => a.ok !== true)
  t.same(failed, [], 'every send acked ok')
  const seqs = acks.map((a) => a.data.seq as number).sort((x, y) => x - y)
  t.same(seqs, Array.from({ length: TOTAL }, (_, i) => i + 1), 'acked seqs are exactly 1..N')

  const rows = await app.prisma.message.findMany({ where: { conversationId: groupId }, select: { seq: true, clientMsgId: true }, orderBy: { seq: 'asc' } })
  t.equal(rows.length, TOTAL)
  t.same(rows.map((r) => r.seq), seqs)
  t.equal(new Set(rows.map((r) => r.clientMsgId)).size, TOTAL, 'each message stored once')
  t.equal((await app.prisma.conversation.findUniqueOrThrow({ where: { id: groupId } })).lastSeq, TOTAL)

  for (const client of [...senders, ...listeners]) {
    const events = await client.waitFor('message:new', TOTAL, 60_000)
    const got = events.filter((e) => e.conversationId === groupId).map((e) => e.seq as number).sort((x, y) => x - y)
    t.same(got, seqs, 'a member socket received every message exactly once')
  }
})

/** Two nodes on one database, a group of two, and its owner connected to each node. */
async function twoNodesOneGroup (t: Test, databaseUrl: string | undefined) {
  const nodes = [await listen(t, {}, { databaseUrl }), await listen(t, {}, { databaseUrl })]
  const { app } = nodes[0]!
  const [owner, bob] = await makeUsers(app, 2)
  const groupId = await makeGroup(app, owner!, [bob!])
  const here = await connect(t, nodes[0]!.url, owner!)
  const there = await connect(t, nodes[1]!.url, owner!)
  return { app, nodes, owner: owner!, bob: bob!, groupId, here, there }
}

t.test('retries racing on two nodes store each clientMsgId once and consume no seq', async (t) => {
  const databaseUrl = servicesMode ? await createTestDatabase(t) : undefined
  // default suite: two apps on the one shared PGlite; services mode: two apps on one PostgreSQL
  const { app, nodes, bob, groupId, here, there } = await twoNodesOneGroup(t, databaseUrl)
  const bobThere = await connect(t, nodes[1]!.url, bob)

  const ids = Array.from({ length: 60 }, (_, i) => `retry-${i}`)
  const send = async (c: Client, clientMsgId: string) => await c.call('message:send', { conversationId: groupId, clientMsgId, type: 'text', content: clientMsgId })
  const acks = await Promise.all(ids.flatMap((id, i) => [send(here, id), send(there, id), send(i % 2 === 0 ? here : there, id), send(bobThere, `bob-${i}`)]))
  t.same(acks.filter((a) => a.ok !== true), [])
  for (const [i, id] of ids.entries()) {
    const same = acks.slice(i * 4, i * 4 + 3)
    t.equal(new Set(same.map((a) => JSON.stringify(a))).size, 1, `${id}: one ack for every copy`)
  }
  const rows = await app.prisma.message.findMany({ where: { conversationId: groupId }, select: { seq: true }, orderBy: { seq: 'asc' } })
  t.same(rows.map((r) => r.seq), Array.from({ length: 120 }, (_, i) => i + 1), 'one row per clientMsgId, seqs without gaps')
  t.equal((await app.prisma.conversation.findUniqueOrThrow({ where: { id: groupId } })).lastSeq, 120)
})

t.test('a copy that commits while the statement waits for the row lock: one row, same ack, no seq used', { skip: servicesMode ? false : 'needs PostgreSQL: the default PGlite runs one statement at a time' }, async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const { app, groupId, here, there } = await twoNodesOneGroup(t, databaseUrl)
  const blocker = new pg.Client({ connectionString: databaseUrl })
  const watcher = new pg.Client({ connectionString: databaseUrl })
  await blocker.connect()
  await watcher.connect()
  t.teardown(async () => { await blocker.end(); await watcher.end() })

  // hold the conversation row so both nodes' statements start and then wait for it
  await blocker.query('BEGIN')
  await blocker.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [groupId])
  const payload = { conversationId: groupId, clientMsgId: 'same-on-both-nodes', type: 'text', content: 'once' }
  const pending = [here.call('message:send', payload), there.call('message:send', payload)]
  for (let waiting = 0; waiting < 2;) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const { rows } = await watcher.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    waiting = rows[0].n
  }
  await blocker.query('COMMIT')
  const [first, second] = await Promise.all(pending)
  t.equal(first.ok, true)
  t.same(second, first, 'the loser answers with the winner\'s ack')
  t.equal(first.data.seq, 1)
  t.equal(await app.prisma.message.count({ where: { conversationId: groupId } }), 1)
  t.equal((await app.prisma.conversation.findUniqueOrThrow({ where: { id: groupId } })).lastSeq, 1, 'the aborted statement took no seq')
  const next = await there.call('message:send', { ...payload, clientMsgId: 'next' })
  t.equal(next.data.seq, 2)
})
