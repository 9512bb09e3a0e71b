// Over 20 s (about 30 s): the messages' time is 10 s ahead, and two apps start the job queue.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createTestDatabase, listen, servicesMode } from '../../helper.js'
import { connect, makeGroup, makeUsers } from '../conversations/helpers.js'
import { until } from '../../socket-client.js'
import { inMs, scheduled } from './helpers.js'

const N = 40
t.setTimeout(600_000)

/**
 * Two nodes working the queue on one database (PostgreSQL and Redis in services mode; in the
 * default suite both apps share the process's PGlite): 40 scheduled messages due at one
 * moment are each sent once, whichever node's relay and worker take them, and the other
 * member gets each once.
 */
t.test(`two worker nodes, ${N} messages due at once: each sent exactly once`, async (t) => {
  const databaseUrl = servicesMode ? await createTestDatabase(t) : undefined
  const config = { SCHEDULED_MIN_AHEAD_S: 0, JOBS_WORKER: true }
  const nodes = [await listen(t, config, { databaseUrl }), await listen(t, config, { databaseUrl })]
  const [one, two] = nodes as [typeof nodes[0], typeof nodes[0]]
  // Which node sent each (the workers call their own app's send service).
  const sentBy = new Map<string, string[]>()
  for (const [i, node] of nodes.entries()) {
    const send = node.app.messages.send.bind(node.app.messages)
    node.app.messages.send = async (senderId, conversationId, input) => {
      sentBy.set(input.clientMsgId, [...(sentBy.get(input.clientMsgId) ?? []), `node${i + 1}`])
      return await send(senderId, conversationId, input)
    }
  }
  const [a, b] = await makeUsers(one.app, 2)
  const g = await makeGroup(one.app, a!, [b!])
  // b listens on both nodes (without Redis, each node tells only its own sockets).
  const listeners = [await connect(t, one.url, b!), await connect(t, two.url, b!)]
  // Ahead enough to schedule all 40 first on a loaded machine.
  const sendAt = inMs(10_000)
  const clientIds = Array.from({ length: N }, () => randomUUID())
  await Promise.all(clientIds.map(async (clientMsgId, i) => await scheduled((i % 2 === 0 ? one : two).app, a!, g, { clientMsgId, content: `due ${i}`, sendAt })))

  await until(async () => await one.app.prisma.scheduledMessage.count({ where: { senderId: a!.id, status: 'sent' } }) === N, 60_000, `all ${N} sent`)
  const stored = await one.app.prisma.message.findMany({ where: { conversationId: g, senderId: a!.id }, select: { clientMsgId: true } })
  t.equal(stored.length, N, `${N} messages stored`)
  t.same(stored.map((m) => m.clientMsgId).sort(), [...clientIds].sort(), 'each clientMsgId once')
  const calls = [...sentBy.values()].flat()
  t.equal(calls.length, N, 'one send per scheduled message across both nodes (no duplicate job)')
  t.comment(`sent by node1 ${calls.filter((n) => n === 'node1').length}, node2 ${calls.filter((n) => n === 'node2').length}`)
  await until(() => new Set(listeners.flatMap((l) => l.of('message:new').filter((m: any) => m.conversationId === g).map((m: any) => m.id))).size === N, 30_000, `${N} message:new`)
  for (const [i, l] of listeners.entries()) {
    const got = l.of('message:new').filter((m: any) => m.conversationId === g).map((m: any) => m.id)
    t.equal(new Set(got).size, got.length, `node${i + 1}'s socket: no message:new twice`)
    if (servicesMode) t.equal(got.length, N, `node${i + 1}'s socket: all ${N} (the Redis adapter fans out)`)
  }
  const lag = (await one.app.prisma.message.findMany({ where: { conversationId: g }, select: { createdAt: true } })).map((m) => m.createdAt.getTime() - Date.parse(sendAt))
  t.ok(lag.every((ms) => ms >= 0), 'none before its time')
  t.comment(`after its time: median ${lag.sort((x, y) => x - y)[Math.floor(lag.length / 2)]} ms, max ${Math.max(...lag)} ms`)
})
