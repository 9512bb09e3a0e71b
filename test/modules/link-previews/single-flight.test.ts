// Over 20 s (30-70 s on the loaded 2-core machine): four apps with queue workers start (two of
// them one "second node"), and each case holds a page open for a couple of seconds on purpose.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type http from 'node:http'
import type { Message } from '@relay-im/client/protocol'
import { befriend, createTestDatabase, listen, registerUser, servicesMode } from '../../helper.js'
import { until } from '../../socket-client.js'
import { startSite, type Site } from './site.js'
import type { App } from '../../../src/app.js'

/**
 * Single-flight on a cache miss: N messages with the same URL that is not cached yet, sent at
 * once, cause exactly one fetch of the page and one of its image, on one node (its two
 * workers) and across two nodes (the claim in link_preview_cache); a page that times out is
 * tried once too (remembered for FAILURE_CACHE_S). Also: pages in GBK and
 * Shift_JIS are decoded by their Content-Type or their <meta charset>.
 */

const N = 10
/** How long a gated page keeps the fetcher waiting: every other job arrives meanwhile. */
const HOLD_MS = 2500

/** A page that answers HOLD_MS after it is asked, with an image; counted by site.hits. */
const held = (title: string): ((req: http.IncomingMessage, res: http.ServerResponse) => void) => (_req, res) => {
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<html><head><title>${title}</title><meta property="og:image" content="/logo.png"></head></html>`)
  }, HOLD_MS)
}

// 中文标题 in GBK; 日本語のタイトル in Shift_JIS (bytes written out: Node can decode these charsets but not encode them).
const GBK_TITLE = Buffer.from('d6d0cec4b1eacce2', 'hex')
const SJIS_TITLE = Buffer.from('93fa967b8cea82cc835e83438367838b', 'hex')
const page = (contentType: string, head: string, title: Buffer) => (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  res.writeHead(200, { 'content-type': contentType })
  res.end(Buffer.concat([Buffer.from(`<html><head>${head}<title>`), title, Buffer.from('</title></head></html>')]))
}

let site: Site
t.before(async () => {
  site = await startSite({
    '/held-one': held('Held for one node'),
    '/held-two': held('Held for two nodes'),
    '/gbk': page('text/html; charset=GBK', '', GBK_TITLE),
    '/sjis-meta': page('text/html', '<meta charset="Shift_JIS">', SJIS_TITLE),
    '/gbk-http-equiv': page('text/html', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', GBK_TITLE)
  })
})
t.teardown(async () => { await site.close() })

async function conversation (app: App): Promise<{ alice: Awaited<ReturnType<typeof registerUser>>, conversationId: string }> {
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  await befriend(app, alice, bob)
  const conversationId = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: alice.auth, payload: { userId: bob.id } })).json().id as string
  return { alice, conversationId }
}

async function send (app: App, auth: Record<string, string>, conversationId: string, content: string): Promise<Message> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: auth, payload: { clientMsgId: randomUUID(), type: 'text', content } })
  if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** Waits until every message in `ids` has its preview, flushing each app's queue. */
async function previewed (apps: App[], ids: string[]): Promise<Array<{ title: string, image: string | null }>> {
  let rows: Array<{ title: string, image: string | null }> = []
  await until(async () => {
    for (const a of apps) await a.jobs.flush()
    rows = await apps[0]!.sql.query<{ title: string, image: string | null }>(
      'SELECT link_preview->>\'title\' AS title, link_preview->>\'image\' AS image FROM messages WHERE id = ANY($1::uuid[]) AND link_preview IS NOT NULL', [ids])
    return rows.length === ids.length
  }, 40_000, 'every preview')
  return rows
}

const hits = (path: string): number => site.hits.filter((p) => p === path).length

t.test(`one node: ${N} messages with one uncached URL at once → one fetch of the page and of its image`, async (t) => {
  const { app } = await listen(t, { OUTBOUND_ALLOWED_HOSTS: site.host, JOBS_WORKER: true, LINK_PREVIEW_CACHE_S: 3600 })
  const { alice, conversationId } = await conversation(app)
  const logoBefore = hits('/logo.png')
  const sent = await Promise.all(Array.from({ length: N }, async (_, i) => await send(app, alice.auth, conversationId, `${i}: ${site.origin}/held-one`)))
  const rows = await previewed([app], sent.map((m) => m.id))
  t.equal(hits('/held-one'), 1, 'the page was fetched once')
  t.equal(hits('/logo.png') - logoBefore, 1, 'its image once')
  t.same(new Set(rows.map((r) => r.title)), new Set(['Held for one node']), 'every message shows it')
  t.equal(new Set(rows.map((r) => r.image)).size, 1, 'one stored image for all')
  const [cache] = await app.sql.query<{ pending: boolean }>('SELECT pending FROM link_preview_cache WHERE url = $1', [`${site.origin}/held-one`])
  t.equal(cache?.pending, false, 'the claim became the cached result')
})

t.test(`two nodes on one database: ${N} messages sent through both at once → one fetch`, async (t) => {
  const databaseUrl = servicesMode ? await createTestDatabase(t) : undefined
  const config = { OUTBOUND_ALLOWED_HOSTS: site.host, JOBS_WORKER: true, LINK_PREVIEW_CACHE_S: 3600 }
  const one = (await listen(t, config, { databaseUrl })).app
  const two = (await listen(t, config, { databaseUrl })).app
  const { alice, conversationId } = await conversation(one)
  const logoBefore = hits('/logo.png')
  const sent = await Promise.all(Array.from({ length: N }, async (_, i) => await send(i % 2 === 0 ? one : two, alice.auth, conversationId, `${i}: ${site.origin}/held-two`)))
  const rows = await previewed([one, two], sent.map((m) => m.id))
  t.equal(hits('/held-two'), 1, 'the page was fetched once')
  t.equal(hits('/logo.png') - logoBefore, 1, 'its image once')
  t.same(new Set(rows.map((r) => r.title)), new Set(['Held for two nodes']))
})

t.test(`a page that never finishes, in ${N} messages at once: one try, remembered for a minute only`, async (t) => {
  const { app } = await listen(t, { OUTBOUND_ALLOWED_HOSTS: site.host, JOBS_WORKER: true, LINK_PREVIEW_CACHE_S: 3600, LINK_PREVIEW_TIMEOUT_MS: 600 })
  const { alice, conversationId } = await conversation(app)
  await Promise.all(Array.from({ length: N }, async (_, i) => await send(app, alice.auth, conversationId, `${i}: ${site.origin}/slow`)))
  await until(async () => {
    await app.jobs.flush()
    const [row] = await app.sql.query<{ n: number }>(`SELECT (SELECT count(*) FROM link_preview_outbox)::int + (SELECT count(*) FROM pgboss.job
      WHERE name = 'link-preview' AND state IN ('created', 'retry', 'active'))::int AS n`, [])
    return row!.n === 0
  }, 40_000, 'the link-preview queue to go idle')
  t.equal(hits('/slow'), 1, 'one request, not one per message')
  const [cache] = await app.sql.query<{ preview: unknown, pending: boolean, s: number }>(
    'SELECT preview, pending, extract(epoch FROM expires_at - fetched_at)::int AS s FROM link_preview_cache WHERE url = $1', [`${site.origin}/slow`])
  t.same(cache, { preview: null, pending: false, s: 60 }, 'nothing to show, for a minute (not the hour of the cache)')
})

t.test('a claim whose node died (run out) is taken over; pages in GBK and Shift_JIS are decoded', async (t) => {
  const { app } = await listen(t, { OUTBOUND_ALLOWED_HOSTS: site.host, JOBS_WORKER: true, LINK_PREVIEW_CACHE_S: 3600 })
  const { alice, conversationId } = await conversation(app)
  const stale = `${site.origin}/twitter`
  await app.sql.query('INSERT INTO link_preview_cache (url, preview, pending, expires_at) VALUES ($1, NULL, true, now() - interval \'1 second\')', [stale])
  const pages = ['/twitter', '/gbk', '/sjis-meta', '/gbk-http-equiv']
  const sent = await Promise.all(pages.map(async (p) => await send(app, alice.auth, conversationId, `${site.origin}${p}`)))
  await previewed([app], sent.map((m) => m.id))
  const titles = await app.sql.query<{ title: string }>('SELECT link_preview->>\'title\' AS title FROM messages WHERE id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], id)', [sent.map((m) => m.id)])
  t.same(titles.map((r) => r.title), ['Twitter title', '中文标题', '日本語のタイトル', '中文标题'], 'the run-out claim was taken over; the Content-Type charset, <meta charset> and <meta http-equiv> decode')
})
