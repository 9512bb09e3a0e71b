import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, createTestDatabase, registerUser, servicesMode } from '../../helper.js'
import { startPushService } from './push-service.js'

/**
 * Two nodes on one database, both working the queue (one PGlite shared in-process by
 * default; one PostgreSQL with TEST_SERVICES=1): every push goes out once, none twice, since
 * jobs are claimed with SKIP LOCKED and the outbox relay skips rows another node holds.
 */
t.test('two workers, one queue: each push exactly once', async (t) => {
  const push = await startPushService()
  t.teardown(push.close)
  const databaseUrl = servicesMode ? await createTestDatabase(t) : undefined
  const overrides = { OUTBOUND_ALLOWED_HOSTS: new URL(push.origin).host, JOBS_WORKER: true }
  const n1 = await build(t, overrides, { databaseUrl })
  const n2 = await build(t, overrides, { databaseUrl })
  const alice = await registerUser(n1)
  const bob = await registerUser(n1)
  const group = await n1.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name: 'two nodes', memberIds: [bob.id] } })
  const groupId = group.json().id as string
  const device = push.device()
  t.equal((await n2.inject({ method: 'POST', url: '/api/push/subscriptions', headers: bob.auth, payload: device.subscription })).statusCode, 201)
  const ids: string[] = []
  for (let i = 0; i < 60; i++) {
    const node = i % 2 === 0 ? n1 : n2
    const res = await node.inject({ method: 'POST', url: `/api/conversations/${groupId}/messages`, headers: alice.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: `m${i}` } })
    ids.push(res.json().id)
  }
  await push.waitFor(60, undefined, 60_000)
  // A moment more for any duplicate to show up.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const got = push.received.map((r) => r.payload.messageId as string)
  t.equal(got.length, 60, 'no push twice')
  t.same([...new Set(got)].sort(), ids.sort(), 'every message pushed')
})
