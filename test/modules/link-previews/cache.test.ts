import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Message } from '@relay-im/client/protocol'
import { befriend, listen, registerUser } from '../../helper.js'
import { until } from '../../socket-client.js'
import { startSite } from './site.js'

/**
 * The per-URL cache (LINK_PREVIEW_CACHE_S): one fetch serves many messages. (Misses for one URL
 * at the same moment share one fetch too: single-flight.test.ts.) Over 20 s on the loaded 2-core
 * machine (28-42 s seen): an app with a queue worker starting, ten jobs through the queue.
 */

t.test('ten messages with the same URL (nine sent together after the first): the page and its image are fetched once; every message shows it', async (t) => {
  const site = await startSite()
  t.teardown(site.close)
  const { app } = await listen(t, { OUTBOUND_ALLOWED_HOSTS: site.host, JOBS_WORKER: true, LINK_PREVIEW_CACHE_S: 3600 })
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  await befriend(app, alice, bob)
  const conversationId = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: alice.auth, payload: { userId: bob.id } })).json().id as string
  const send = async (): Promise<Message> => (await app.inject({
    method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: alice.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: `${site.origin}/og` }
  })).json()
  // The first fills the cache; the rest arrive together afterwards.
  const first = await send()
  await until(async () => {
    await app.jobs.flush()
    const [row] = await app.sql.query<{ ok: boolean }>('SELECT link_preview IS NOT NULL AS ok FROM messages WHERE id = $1::uuid', [first.id])
    return row?.ok === true
  }, 20_000, 'the first preview')
  const rest = await Promise.all(Array.from({ length: 9 }, send))
  const ids = [first, ...rest].map((m) => m.id)
  await until(async () => {
    await app.jobs.flush()
    const [row] = await app.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND link_preview IS NOT NULL', [ids])
    return row!.n === ids.length
  }, 20_000, 'every preview')
  t.equal(site.hits.filter((p) => p === '/og').length, 1, 'the page was fetched once')
  t.equal(site.hits.filter((p) => p === '/logo.png').length, 1, 'and its image')
  const rows = await app.sql.query<{ image: string }>('SELECT DISTINCT link_preview->>\'image\' AS image FROM messages WHERE id = ANY($1::uuid[])', [ids])
  t.equal(rows.length, 1, 'one stored image serves them all')
  t.equal((await app.inject({ method: 'GET', url: rows[0]!.image, headers: bob.auth })).statusCode, 200, 'a reader loads it')
})
