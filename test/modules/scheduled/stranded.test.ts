// Over 20 s (about 35-45 s): two apps with a queue worker start, and the sweep runs on its own beat (every few seconds; the test waits 7 s to see nobody is told twice).
import t from 'tap'
import { listen } from '../../helper.js'
import { connect, makeGroup, makeUsers, type User } from '../conversations/helpers.js'
import { copies, inMs, rowOf, scheduled } from './helpers.js'

t.setTimeout(300_000)

/**
 * No scheduled message stays `sending` (or `queued`) for ever: when pg-boss gives up on its
 * job first (its retries ran out, say after its nodes were killed mid-send time after time, or
 * the job is gone), the relay's sweep makes the outcome final and tells the author: `sent`
 * when the message was stored by its clientMsgId after all, else `failed` with INTERNAL. A row
 * whose job is still live is left to its job.
 */
t.test('rows pg-boss gave up on get a final outcome; the author is told once', async (t) => {
  const { app, url } = await listen(t, { SCHEDULED_MIN_AHEAD_S: 0, JOBS_WORKER: true })
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, a, [b])
  const socket = await connect(t, url, a)
  const exhausted = await scheduled(app, a, g, { sendAt: inMs(3600_000), content: 'retries ran out' })
  const storedFirst = await scheduled(app, a, g, { sendAt: inMs(3600_000), content: 'stored, then killed before the finish' })
  const jobGone = await scheduled(app, a, g, { sendAt: inMs(3600_000), content: 'queued, its job gone' })
  const live = await scheduled(app, a, g, { sendAt: inMs(3600_000), content: 'still being retried' })
  // The message of storedFirst reached the conversation (the send committed), its finish did not.
  const sent = await app.inject({ method: 'POST', url: `/api/conversations/${g}/messages`, headers: a.auth, payload: { clientMsgId: storedFirst.clientMsgId, type: 'text', content: 'stored, then killed before the finish' } })
  t.equal(sent.statusCode, 201)
  // As pg-boss leaves them: a job that failed for good, none at all, one still to be retried.
  const job = async (id: string, state: string): Promise<void> => {
    // (The one to be retried waits an hour for its turn, so this test sees it still waiting.)
    await app.sql.query(`INSERT INTO pgboss.job (name, data, singleton_key, state, start_after)
      VALUES ('scheduled-send', jsonb_build_object('id', $1::text), $1::text, '${state}', now() + interval '1 hour')`, [id])
  }
  await job(exhausted.id, 'failed')
  await job(storedFirst.id, 'failed')
  await job(live.id, 'retry')
  await app.sql.query(`UPDATE scheduled_messages SET status = 'sending', updated_at = now() - interval '1 minute' WHERE id = ANY($1::uuid[])`, [[exhausted.id, storedFirst.id, live.id]])
  await app.sql.query(`UPDATE scheduled_messages SET status = 'queued', updated_at = now() - interval '1 minute' WHERE id = $1::uuid`, [jobGone.id])

  const before = socket.of('scheduled:updated').length
  const told = await socket.waitFor('scheduled:updated', before + 3, 30_000)
  const byId = new Map(told.slice(before).map((v: any) => [v.id, v]))
  t.match(byId.get(exhausted.id), { status: 'failed', messageId: null, error: { code: 'INTERNAL' } }, 'retries ran out: failed, INTERNAL')
  t.match(byId.get(storedFirst.id), { status: 'sent', messageId: sent.json().id }, 'stored after all: sent, with its message')
  t.match(byId.get(jobGone.id), { status: 'failed', error: { code: 'INTERNAL' } }, 'no job at all: failed')
  t.equal(await copies(app, a.id, exhausted.clientMsgId), 0, 'nothing was sent for the failed one')
  t.equal(await copies(app, a.id, storedFirst.clientMsgId), 1, 'one message for the sent one')
  t.match(await rowOf(app, live.id), { status: 'sending' }, 'a row whose job is still to be retried is left to it')
  // The sweep runs on: nobody is told twice.
  await new Promise((resolve) => setTimeout(resolve, 7000))
  t.equal(socket.of('scheduled:updated').length, before + 3, 'each outcome told once')
  const failed = await app.inject({ method: 'PATCH', url: `/api/scheduled/${exhausted.id}`, headers: a.auth, payload: { sendAt: inMs(3600_000) } })
  t.equal(failed.statusCode, 200, 'a failed one can be scheduled again, as any failed one')
})

t.test('the conversation deleted (its last member, the author, left): its scheduled messages go with it, nothing is sent', async (t) => {
  const { app } = await listen(t, { SCHEDULED_MIN_AHEAD_S: 0, JOBS_WORKER: true })
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, a, [b])
  const waiting = await scheduled(app, a, g, { sendAt: inMs(3600_000) })
  const queued = await scheduled(app, a, g, { sendAt: inMs(3600_000) })
  await app.sql.query('UPDATE scheduled_messages SET status = \'queued\' WHERE id = $1::uuid', [queued.id])
  for (const u of [b, a]) t.equal((await app.inject({ method: 'DELETE', url: `/api/groups/${g}/members/me`, headers: u.auth })).statusCode, 200)
  t.equal(await app.prisma.conversation.count({ where: { id: g } }), 0, 'the group is gone')
  t.equal(await rowOf(app, waiting.id), null, 'the waiting one went with it')
  t.equal(await rowOf(app, queued.id), null, 'and the queued one')
  const list = await app.inject({ method: 'GET', url: '/api/scheduled', headers: a.auth })
  t.same(list.json(), [], 'nothing listed')
  t.equal(await copies(app, a.id, queued.clientMsgId), 0, 'nothing sent')
})
