import t from 'tap'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { listen, registerUser } from '../../helper.js'
import { connect, makeConversation, until } from '../presence/helpers.js'
import { bearerMatches } from '../../../src/modules/metrics/plugin.js'

const TOKEN = 'metrics-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

/** `name{labels} value` lines of a scrape, as a map from the series (name plus labels as written) to its value. */
function parse (text: string): Map<string, number> {
  const series = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const i = line.lastIndexOf(' ')
    series.set(line.slice(0, i), Number(line.slice(i + 1)))
  }
  return series
}

t.test('bearer check', async (t) => {
  t.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true)
  t.equal(bearerMatches(`bearer ${TOKEN}`, TOKEN), true)
  t.equal(bearerMatches(`Bearer ${TOKEN}x`, TOKEN), false)
  t.equal(bearerMatches(TOKEN, TOKEN), false, 'without the scheme')
  t.equal(bearerMatches(undefined, TOKEN), false)
  t.equal(bearerMatches('Bearer ', ''), false, 'an empty header never matches')
})

t.test('a scrape after known traffic shows the exact counts; the dashboard reads real metrics', async (t) => {
  const { app, url } = await listen(t, { METRICS_TOKEN: TOKEN } as any)
  for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }]) {
    const res = await app.inject({ url: '/metrics', headers })
    t.same([res.statusCode, res.json().error.code], [401, 'UNAUTHORIZED'], `refused: ${JSON.stringify(headers)}`)
  }

  const [a, b] = [await registerUser(app), await registerUser(app)]
  const conversationId = await makeConversation(app, [a, b])
  for (let i = 0; i < 3; i++) await app.inject({ url: '/healthz' })
  await app.inject({ url: `/api/users/${randomUUID()}`, headers: a.auth })
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  for (let i = 0; i < 3; i++) t.equal((await sa.call('message:send', { conversationId, clientMsgId: randomUUID(), type: 'text', content: `m${i}` })).ok, true)
  t.equal((await sa.call('message:send', { conversationId })).error.code, 'VALIDATION')
  t.equal((await sb.call('no:such:event', {})).error.code, 'VALIDATION')
  t.equal((await sb.call('message:read', { conversationId: randomUUID(), seq: 1 })).error.code, 'NOT_FOUND')
  await until(async () => true, 100, 'settle')

  const res = await app.inject({ url: '/metrics', headers: auth })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const s = parse(res.body)
  const expect: Array<[string, number]> = [
    ['relay_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}', 3],
    ['relay_http_request_duration_seconds_count{method="GET",route="/api/users/:id",status="404"}', 1],
    ['relay_http_request_duration_seconds_count{method="GET",route="/metrics",status="401"}', 3],
    ['relay_http_request_duration_seconds_count{method="POST",route="/api/auth/register",status="201"}', 2],
    ['relay_socketio_connections', 2],
    ['relay_socket_events_total{event="message:send",outcome="ok"}', 3],
    ['relay_socket_events_total{event="message:send",outcome="VALIDATION"}', 1],
    ['relay_socket_events_total{event="unknown",outcome="VALIDATION"}', 1],
    ['relay_socket_events_total{event="message:read",outcome="NOT_FOUND"}', 1],
    ['relay_message_send_latency_seconds_count', 3],
    ['relay_group_commit_batch_size_sum', 3],
    ['relay_group_commit_queue_depth', 0],
    ['relay_db_pool_waiting', 0],
    ['relay_redis_adapter_errors_total', 0]
  ]
  for (const [key, value] of expect) t.equal(s.get(key), value, key)
  t.ok((s.get('relay_group_commit_batch_size_count') ?? 0) >= 1 && (s.get('relay_group_commit_batch_size_count') ?? 0) <= 3, 'one to three statements')
  t.ok((s.get('process_resident_memory_bytes') ?? 0) > 0, 'process memory')
  t.ok(s.has('nodejs_eventloop_lag_p99_seconds'), 'event-loop lag')

  await sb.close()
  await until(async () => parse((await app.inject({ url: '/metrics', headers: auth })).body).get('relay_socketio_connections') === 1, 3000, 'the gauge to drop')

  // The dashboard: Grafana's dashboard model, and every metric it names is in a real scrape.
  const dash = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'grafana', 'relay.json'), 'utf8'))
  t.type(dash.title, 'string')
  t.type(dash.uid, 'string')
  t.type(dash.schemaVersion, 'number')
  t.ok(Array.isArray(dash.templating?.list), 'templating.list')
  t.ok(Array.isArray(dash.panels) && dash.panels.length >= 8, 'panels')
  const ids = new Set<number>()
  const names = new Set<string>()
  const scraped = new Set([...s.keys()].map((k) => k.replace(/\{.*$/, '')))
  for (const p of dash.panels) {
    t.type(p.id, 'number')
    t.notOk(ids.has(p.id), `panel id ${p.id as number} unique`)
    ids.add(p.id)
    t.ok(['timeseries', 'stat', 'gauge', 'table', 'bargauge'].includes(p.type), `panel ${p.title as string}: type`)
    t.same(Object.keys(p.gridPos).sort(), ['h', 'w', 'x', 'y'], 'gridPos')
    t.ok(p.gridPos.x + p.gridPos.w <= 24, 'fits the 24-column grid')
    t.ok(Array.isArray(p.targets) && p.targets.length > 0, 'targets')
    const refIds = p.targets.map((x: any) => x.refId)
    t.equal(new Set(refIds).size, refIds.length, 'refIds unique in a panel')
    for (const target of p.targets) {
      t.type(target.expr, 'string')
      for (const [name] of (target.expr as string).matchAll(/\b(?:relay|process|nodejs)_[a-z0-9_]+\b/g)) names.add(name)
    }
  }
  const missing = [...names].filter((n) => !scraped.has(n))
  t.same(missing, [], 'every metric the dashboard reads exists in a scrape')
  t.ok(names.size >= 10, `${names.size} metrics on the dashboard`)
})
