/**
 * Fault: PostgreSQL crashes (pg_ctl stop -m immediate) while a client sends, and comes back.
 * Promise: a send during the outage is answered with an error ack, never a false ok;
 * /readyz turns 503 and then green again by itself; sends succeed afterwards; a retry of a
 * failed send (same clientMsgId) lands exactly once; no half-written message (seqs 1..N,
 * last_seq = N).
 * Uses a private PostgreSQL cluster (initdb in a temp dir, about a second here); the shared
 * one on 5432 is never touched. Services mode only (needs the PostgreSQL binaries).
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { servicesMode } from '../helper.js'
import {
  checkExactlyOnce, checkGapFree, dbRows, delay, ensureBuilt, group, PG_BIN, privatePostgres, probe, sdk, startServer, until, users, within,
  type Sent, type User
} from './support.js'
import type { SendAck } from '@relay-im/client'

t.setTimeout(300_000)

interface Attempt { clientMsgId: string, sentAt: number, answeredAt?: number, ack?: SendAck, error?: string }

const skip = !servicesMode ? 'needs PostgreSQL binaries (TEST_SERVICES=1)' : PG_BIN === undefined ? 'no /usr/lib/postgresql/*/bin/initdb' : false

t.test('PostgreSQL restarted mid-stream', { skip }, async (t) => {
  await ensureBuilt()
  const t0 = Date.now()
  const db = await privatePostgres(t)
  const node = await startServer(t, { DATABASE_URL: db.url, DB_POOL_MAX: '4' })
  const [a, b] = await users(node.url, 2) as [User, User]
  const g = await group(node.url, a, [b])
  const w = sdk(t, node.url, a)
  await within(w.client.connect(), 20_000, 'connect')

  // Single attempts (emitAck, no outbox retry): each answer is exactly what the server said.
  const attempts: Attempt[] = []
  const attempt = async (): Promise<Attempt> => {
    const at: Attempt = { clientMsgId: randomUUID(), sentAt: Date.now() }
    attempts.push(at)
    try {
      at.ack = await w.client.emitAck<SendAck>('message:send', { conversationId: g, clientMsgId: at.clientMsgId, type: 'text', content: `m${attempts.length}` })
    } catch (err) {
      at.error = (err as { code?: string }).code ?? String(err)
    }
    at.answeredAt = Date.now()
    return at
  }
  let streaming = true
  const stream = (async () => {
    while (streaming) {
      await attempt()
      await delay(50)
    }
  })()
  await until(() => attempts.filter((x) => x.ack !== undefined).length >= 10, 30_000, '10 acks before the crash')

  const stopBegin = Date.now()
  await db.stop()
  const stoppedAt = Date.now()
  await until(async () => (await probe(node.url + '/readyz')) === 503, 20_000, 'readyz red without the database')
  t.pass('/readyz is 503 while the database is down')
  // Some attempts fully inside the outage.
  await until(() => attempts.filter((x) => x.sentAt > stoppedAt && x.answeredAt !== undefined).length >= 5, 30_000, 'attempts during the outage')
  t.ok(node.alive(), 'the server survives the database crash')

  const startBegin = Date.now()
  await db.start()
  const startedAt = Date.now()
  await until(async () => (await probe(node.url + '/readyz')) === 200, 30_000, 'readyz green again')
  t.pass('/readyz is green again by itself')
  await until(() => attempts.some((x) => x.sentAt > startedAt && x.ack !== undefined), 30_000, 'a send to succeed after the restart')
  streaming = false
  await stream

  const outage = attempts.filter((x) => x.sentAt >= stoppedAt && x.answeredAt! <= startBegin)
  t.same(outage.filter((x) => x.ack !== undefined).map((x) => x.clientMsgId), [], `no ok ack during the outage (${outage.length} attempts)`)
  const errorAcks = outage.filter((x) => x.error !== undefined && x.error !== 'TIMEOUT' && x.error !== 'NETWORK')
  t.ok(errorAcks.length > 0, `sends during the outage are answered with an error ack (${[...new Set(outage.map((x) => x.error))].join(', ')})`)
  t.ok(attempts.filter((x) => x.sentAt > startedAt).every((x) => x.ack !== undefined), 'every send after the restart succeeds')
  t.comment(`${attempts.length} attempts, ${attempts.filter((x) => x.ack !== undefined).length} ok; ms from start: cluster+server up ${attempts[0]!.sentAt - t0}, crash ${stopBegin - t0}, restart ${startBegin - t0}, up again ${startedAt - t0}, stream end ${Date.now() - t0}`)
  t.comment(`outage answers (ms): ${outage.map((x) => `${x.error ?? 'ok'} ${x.answeredAt! - x.sentAt}`).join(', ')}`)

  // The client retries what failed, with the same clientMsgId (as the SDK outbox would).
  const failed = attempts.filter((x) => x.ack === undefined)
  const retried = await within(Promise.all(failed.map(async (x) => await w.client.send({ conversationId: g, clientMsgId: x.clientMsgId, type: 'text', content: 'retry' }))), 60_000, 'retries')
  retried.forEach((ack, i) => { failed[i]!.ack = ack })

  const sent: Sent[] = attempts.map((x) => ({ clientMsgId: x.clientMsgId, conversationId: g, senderId: a.id, ack: x.ack, done: Promise.resolve() }))
  const { rows, lastSeq } = await dbRows(db.url, [g])
  checkExactlyOnce(t, sent, rows)
  t.equal(rows.length, attempts.length, 'one stored message per attempted message')
  checkGapFree(t, g, rows.map((r) => r.seq), lastSeq.get(g))
})
