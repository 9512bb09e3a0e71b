// Over 20 s (about 40 s on the loaded 2-core machine): two messages wait for their time (1.5 s each) on the job queue, whose first start on the shared store installs its schema.
import t from 'tap'
import { registerUser } from '../helper.js'
import { clientFor, group, next, server } from './fixtures.js'
import { ClientError } from '@relay-im/client'

t.test('schedule, list, edit, cancel through the SDK; sent once with its clientMsgId; failures arrive as scheduled:updated', async (t) => {
  // Any future time is allowed (SCHEDULED_MIN_AHEAD_S=0), and this server works the queue.
  const srv = await server(t, { SCHEDULED_MIN_AHEAD_S: 0, JOBS_WORKER: true })
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const g = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a)
  const cb = clientFor(t, srv, b)
  await Promise.all([ca.connect(), cb.connect()])

  const waiting = await ca.scheduleMessage(g, { type: 'text', content: 'much later', sendAt: new Date(Date.now() + 3600_000) })
  t.match(waiting, { conversationId: g, status: 'scheduled', type: 'text', content: 'much later' })
  t.equal(typeof waiting.clientMsgId, 'string', 'a clientMsgId made by the SDK')
  const again = await ca.scheduleMessage(g, { type: 'text', content: 'ignored', sendAt: new Date(Date.now() + 3600_000), clientMsgId: waiting.clientMsgId })
  t.equal(again.id, waiting.id, 'the same clientMsgId: the first one back')

  const edited = next(ca, 'scheduled:updated', (s) => s.id === waiting.id && s.content === 'sooner')
  const sendAt = new Date(Date.now() + 1500)
  await ca.editScheduled(waiting.id, { content: 'sooner', sendAt })
  await edited
  t.same((await ca.listScheduled(g)).map((s) => s.id), [waiting.id])
  t.same(await cb.listScheduled(), [], 'b does not see a\'s')

  const sent = next(ca, 'scheduled:updated', (s) => s.id === waiting.id && s.status === 'sent')
  const arrived = next(cb, 'message:new', (m) => m.clientMsgId === waiting.clientMsgId)
  const [done, message] = await Promise.all([sent, arrived])
  t.equal(done.messageId, message.id)
  t.match(message, { type: 'text', content: 'sooner', senderId: a.id })
  t.same(await ca.listScheduled(g), [], 'sent: off the list')

  const gone = await ca.scheduleMessage(g, { type: 'text', content: 'never', sendAt: new Date(Date.now() + 3600_000) })
  const cancelled = next(ca, 'scheduled:updated', (s) => s.id === gone.id && s.status === 'cancelled')
  await ca.cancelScheduled(gone.id)
  await cancelled
  const err = await cb.cancelScheduled(gone.id).catch((e: unknown) => e)
  t.ok(err instanceof ClientError && err.code === 'NOT_FOUND', 'someone else\'s (or gone): NOT_FOUND')
  const tooFar = await ca.scheduleMessage(g, { type: 'text', content: 'x', sendAt: new Date(Date.now() + 400 * 86400_000) }).catch((e: unknown) => e)
  t.ok(tooFar instanceof ClientError && tooFar.code === 'VALIDATION', 'more than a year ahead: VALIDATION')

  // b schedules, then leaves: at its time it fails and b's devices are told with the code.
  const doomed = await cb.scheduleMessage(g, { type: 'text', content: 'bye', sendAt: new Date(Date.now() + 1500) })
  const failed = next(cb, 'scheduled:updated', (s) => s.id === doomed.id && s.status === 'failed')
  await cb.leaveGroup(g)
  t.match(await failed, { error: { code: 'NOT_FOUND' }, messageId: null })
  t.match(await cb.listScheduled(), [{ id: doomed.id, status: 'failed', error: { code: 'NOT_FOUND' } }])
})
