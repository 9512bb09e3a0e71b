import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { makeGroup, makeUsers, type User } from '../conversations/helpers.js'

const INDEXES = ['messages_search_en_idx', 'messages_search_trgm_idx']

async function send (app: App, u: User, conversationId: string, content: string): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: u.auth, payload: { clientMsgId: randomUUID(), type: 'text', content } })
  if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`)
}

async function found (app: App, u: User, q: string): Promise<string[]> {
  const res = await app.inject({ url: '/api/search/messages', query: { q }, headers: u.auth })
  if (res.statusCode !== 200) throw new Error(`search ${q}: ${res.statusCode} ${res.body}`)
  return (res.json() as Array<{ message: { content: string } }>).map((h) => h.message.content).sort()
}

/** Pages merged by one inline gin_clean_pending_list per index: 0 when both lists are empty. */
async function pendingPages (app: App): Promise<number> {
  let pages = 0
  for (const i of INDEXES) pages += (await app.sql.query<{ n: number }>('SELECT gin_clean_pending_list($1::regclass)::int AS n', [i]))[0]!.n
  return pages
}

t.test('the migration lets the pending lists grow to 16 MB before an insert merges them itself', async (t) => {
  const app = await build(t)
  const rows = await app.sql.query<{ name: string, opts: string[] | null }>(
    'SELECT relname AS name, reloptions AS opts FROM pg_class WHERE relname = ANY($1::text[]) ORDER BY relname', [INDEXES])
  t.same(rows.map((r) => [r.name, r.opts]), [
    ['messages_search_en_idx', ['gin_pending_list_limit=16384']],
    ['messages_search_trgm_idx', ['gin_pending_list_limit=16384']]
  ])
})

t.test('a message is found before its entries are merged and after', async (t) => {
  const app = await build(t, { SEARCH_INDEX_MERGE_MS: 0 })
  const [alice, bob] = await makeUsers(app, 2)
  const c = await makeGroup(app, alice!, [bob!])
  await pendingPages(app) // whatever earlier apps in this process left
  const texts = Array.from({ length: 40 }, (_, i) => i % 2 === 0 ? `quarterly zebrafish report ${i}` : `明天下午讨论斑马鱼报告 ${i}`)
  for (const text of texts) await send(app, alice!, c, text)

  const english = texts.filter((x) => x.startsWith('quarterly')).sort()
  const chinese = texts.filter((x) => x.startsWith('明天')).sort()
  t.same(await found(app, bob!, 'zebrafish'), english.slice(-20), 'found from the pending list')
  t.same(await found(app, bob!, '斑马鱼'), chinese.slice(-20), 'substrings found from the pending list')

  const merged = await app.searchIndexMerger.mergeNow()
  t.ok(merged > 0, `the merge took the pending pages into the indexes (${merged})`)
  t.equal(await pendingPages(app), 0, 'nothing left pending')
  t.same(await found(app, bob!, 'zebrafish'), english.slice(-20), 'found from the index')
  t.same(await found(app, bob!, '斑马鱼'), chinese.slice(-20))
  t.same(app.searchIndexMerger.stats().merges, 1)
  t.same(app.searchIndexMerger.stats().pages, merged)
})

t.test('the merger empties the pending lists on its own, and /metrics counts it', async (t) => {
  const app = await build(t, { SEARCH_INDEX_MERGE_MS: 50 })
  const [alice, bob] = await makeUsers(app, 2)
  const c = await makeGroup(app, alice!, [bob!])
  for (let i = 0; i < 30; i++) await send(app, alice!, c, `merged by the timer, message number ${i} 由定时器合并`)
  const deadline = Date.now() + 10_000
  while (app.searchIndexMerger.stats().pages === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(app.searchIndexMerger.stats().pages > 0, 'pages merged without anyone asking')
  // The merge after the last send's statement takes what is left: a few intervals later nothing is pending.
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(await pendingPages(app), 0, 'nothing pending')
  const metrics = (await app.inject({ url: '/metrics' })).body
  t.match(metrics, /relay_search_index_merges_total [1-9]/)
  t.match(metrics, /relay_search_index_merged_pages_total [1-9]/)
})

t.test('an idle node sends no merge query', async (t) => {
  const app = await build(t, { SEARCH_INDEX_MERGE_MS: 20 })
  await new Promise((resolve) => setTimeout(resolve, 100)) // the first turn merges what an earlier app left
  const merges = app.searchIndexMerger.stats().merges
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(app.searchIndexMerger.stats().merges, merges, 'no statement stored, no merge')
  const [alice, bob] = await makeUsers(app, 2)
  await send(app, alice!, await makeGroup(app, alice!, [bob!]), 'wakes the merger')
  const deadline = Date.now() + 5000
  while (app.searchIndexMerger.stats().merges === merges && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  t.ok(app.searchIndexMerger.stats().merges > merges, 'a send makes the next turn merge')
})

t.test('a merge never runs after close', async (t) => {
  const app = await build(t, { SEARCH_INDEX_MERGE_MS: 10 })
  await new Promise((resolve) => setTimeout(resolve, 60))
  await app.close()
  const merges = app.searchIndexMerger.stats().merges
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.equal(app.searchIndexMerger.stats().merges, merges)
})
