import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { makeGroup, makeUsers, type User } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

async function send (app: App, u: User, conversationId: string, content: unknown, type = 'text'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: u.auth, payload: { clientMsgId: randomUUID(), type, content } })
  if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`)
  return res.json().id
}

async function search (app: App, u: User, query: Record<string, string | number>): Promise<{ status: number, hits: any[], next?: string, body: any }> {
  const res = await app.inject({ url: '/api/search/messages', query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])), headers: u.auth })
  const body = res.json()
  return { status: res.statusCode, hits: res.statusCode === 200 ? body : [], next: res.headers['x-next-cursor'] as string | undefined, body }
}

const texts = async (app: App, u: User, q: string, extra: Record<string, string | number> = {}): Promise<string[]> => {
  const r = await search(app, u, { q, ...extra })
  if (r.status !== 200) throw new Error(`search ${q}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.hits.map((h) => h.message.content)
}

t.test('English words and Chinese substrings, with highlights', async (t) => {
  const app = await build(t)
  const [alice, bob] = await makeUsers(app, 2)
  const c = await makeGroup(app, alice!, [bob!])
  const fixture = [
    'I run every morning',
    'Hello世界 from the mixed script',
    "I don't know",
    'send me an e-mail, please',
    '我们明天去北京开会',
    '今天天气很好，适合跑步',
    'The meeting is at 3pm; bring coffee',
    '100% sure that a_b is literal, c:\\path too'
  ]
  for (const s of fixture) await send(app, alice!, c, s)
  await send(app, alice!, c, { kind: 'poll', q: 'run' }, 'custom')

  t.same(await texts(app, bob!, 'running'), ['I run every morning'], 'stemming: running finds run')
  t.same(await texts(app, bob!, 'MORNING'), ['I run every morning'], 'case-insensitive')
  t.same(await texts(app, bob!, '北京'), ['我们明天去北京开会'], 'two-character Chinese substring')
  t.same(await texts(app, bob!, '天气很好'), ['今天天气很好，适合跑步'])
  t.same(await texts(app, bob!, '适合跑步'), ['今天天气很好，适合跑步'], 'after full-width punctuation')
  t.same(await texts(app, bob!, '很好，适合'), ['今天天气很好，适合跑步'], 'across full-width punctuation')
  t.same(await texts(app, bob!, '京'), ['我们明天去北京开会'], 'one character is found too (no index: a scan)')
  t.same(await texts(app, bob!, '北开'), [], 'characters that are not adjacent are not a substring')
  t.same(await texts(app, bob!, '世界'), ['Hello世界 from the mixed script'], 'Chinese inside mixed script')
  t.same(await texts(app, bob!, 'Hello世界'), ['Hello世界 from the mixed script'])
  t.same(await texts(app, bob!, "don't"), ["I don't know"], 'a query of stop words falls back to substrings')
  t.same(await texts(app, bob!, 'e-mail'), ['send me an e-mail, please'], 'hyphenated word')
  t.same(await texts(app, bob!, 'mail'), ['send me an e-mail, please'], 'part of a hyphenated word')
  t.same(await texts(app, bob!, 'meeting coffee'), ['The meeting is at 3pm; bring coffee'], 'words across punctuation, all required')
  t.same(await texts(app, bob!, '"bring coffee"'), ['The meeting is at 3pm; bring coffee'], 'websearch phrase')
  t.same(await texts(app, bob!, 'meeting -coffee'), [], 'websearch negation')
  t.same(await texts(app, bob!, 'morning or 北京'), ['我们明天去北京开会', 'I run every morning'], 'or: either the words or every substring')
  t.same(await texts(app, bob!, '北京 or 天气'), ['今天天气很好，适合跑步', '我们明天去北京开会'], 'or between Chinese substrings')
  t.same(await texts(app, bob!, '北京 开会'), ['我们明天去北京开会'], 'every substring of a group')
  t.same(await texts(app, bob!, '北京 上海'), [], 'every substring of a group, not any')
  t.same(await texts(app, bob!, '明天 -开会'), [], 'a leading minus excludes a substring')
  t.same(await texts(app, bob!, '天 -开会'), ['今天天气很好，适合跑步'])
  t.same(await texts(app, bob!, 'nothinglikethis'), [])
  t.same(await texts(app, bob!, '上海'), [])

  for (const q of ['_', '\\', 'a_b', '& | ! <-> :* (', "'", '"', '%%__\\\\', '((', '!!!', ':*']) {
    const r = await search(app, bob!, { q })
    t.equal(r.status, 200, `operators and wildcards are text, never a syntax error: ${q}`)
  }
  t.same(await texts(app, bob!, '_'), ['100% sure that a_b is literal, c:\\path too'], '_ is literal, not a one-character wildcard')
  t.same(await texts(app, bob!, '\\'), ['100% sure that a_b is literal, c:\\path too'], 'a backslash is literal')
  t.same(await texts(app, bob!, '%%__'), [], 'no wildcards: nothing contains %%__')
  t.same(await texts(app, bob!, '%'), ['100% sure that a_b is literal, c:\\path too'], '% is literal, not a wildcard')
  t.same(await texts(app, bob!, '%北%'), [], 'no wildcard inside a Chinese query either')

  const [hit] = (await search(app, bob!, { q: 'running' })).hits
  t.same(hit.highlight, { text: 'I run every morning', ranges: [{ start: 2, end: 5 }] })
  t.equal(hit.conversationId, c)
  t.match(hit.message, { conversationId: c, type: 'text', senderId: alice!.id })
  const [zh] = (await search(app, bob!, { q: '北京' })).hits
  t.same(zh.highlight, { text: '我们明天去北京开会', ranges: [{ start: 5, end: 7 }] })
  const [mixed] = (await search(app, bob!, { q: '世界' })).hits
  t.same(mixed.highlight.ranges, [{ start: 5, end: 7 }])
  const markup = await send(app, alice!, c, '<script>alert(1)</script> run')
  const [html] = (await search(app, bob!, { q: 'run', limit: 1 })).hits
  t.equal(html.message.id, markup)
  t.same(html.highlight, { text: '<script>alert(1)</script> run', ranges: [{ start: 26, end: 29 }] }, 'plain text plus ranges: nothing to inject')
  t.same(await texts(app, bob!, 'poll'), [], 'custom messages are not searched')
})

t.test('visibility: only what the caller can read now', async (t) => {
  const app = await build(t)
  const [alice, bob, carol] = await makeUsers(app, 3)
  const c1 = await makeGroup(app, alice!, [bob!])
  const c2 = await makeGroup(app, alice!, [carol!])
  const c3 = await makeGroup(app, alice!, [bob!])
  await send(app, alice!, c1, 'apple one')
  await send(app, alice!, c2, 'apple two (bob is not here)')
  const recalled = await send(app, alice!, c1, 'apple recalled 苹果')
  const hidden = await send(app, alice!, c1, 'apple hidden 苹果')
  const edited = await send(app, alice!, c1, 'banana before the edit 香蕉')
  await send(app, alice!, c3, 'apple in a group bob leaves')

  t.same(await texts(app, bob!, 'apple'), ['apple in a group bob leaves', 'apple hidden 苹果', 'apple recalled 苹果', 'apple one'])
  t.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${c1}/messages/${recalled}`, headers: alice!.auth })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${c1}/messages/${hidden}?for=me`, headers: bob!.auth })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/groups/${c3}/members/${bob!.id}`, headers: bob!.auth })).statusCode, 200)
  const ed = await app.inject({ method: 'PATCH', url: `/api/conversations/${c1}/messages/${edited}`, headers: alice!.auth, payload: { content: 'cherry after the edit 樱桃' } })
  t.equal(ed.statusCode, 200, ed.body)

  t.same(await texts(app, bob!, 'apple'), ['apple one'], 'recalled, hidden-for-me, left and other conversations are gone')
  t.same(await texts(app, bob!, '苹果'), [], 'the same in Chinese')
  t.same(await texts(app, alice!, '苹果'), ['apple hidden 苹果'], 'hidden only for bob; recalled for all')
  t.same(await texts(app, carol!, 'apple'), ['apple two (bob is not here)'])
  t.same(await texts(app, bob!, 'banana'), [], 'old text of an edited message is not found')
  t.same(await texts(app, bob!, '香蕉'), [])
  t.same(await texts(app, bob!, 'cherry'), ['cherry after the edit 樱桃'], 'new text is')
  t.same(await texts(app, bob!, '樱桃'), ['cherry after the edit 樱桃'])

  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${c1}/clear`, headers: bob!.auth })).statusCode, 204)
  t.same(await texts(app, bob!, 'apple'), [], 'cleared history is gone for bob')
  t.same(await texts(app, bob!, 'cherry'), [])
  t.same(await texts(app, alice!, 'apple', { conversationId: c1 }), ['apple hidden 苹果', 'apple one'], 'not for alice; conversation filter')
  await send(app, alice!, c1, 'apple after the clear')
  t.same(await texts(app, bob!, 'apple'), ['apple after the clear'])

  await refused(t, app, 'NOT_FOUND', 'a conversation I am not in', async () => await app.inject({ url: `/api/search/messages?q=apple&conversationId=${c2}`, headers: bob!.auth }))
  await refused(t, app, 'NOT_FOUND', 'a conversation I left', async () => await app.inject({ url: `/api/search/messages?q=apple&conversationId=${c3}`, headers: bob!.auth }))
  await refused(t, app, 'NOT_FOUND', 'an unknown conversation', async () => await app.inject({ url: `/api/search/messages?q=apple&conversationId=${randomUUID()}`, headers: bob!.auth }))
})

t.test('keyset paging, newest first, next cursor in x-next-cursor', async (t) => {
  const app = await build(t)
  const [alice, bob] = await makeUsers(app, 2)
  const c1 = await makeGroup(app, alice!, [bob!])
  const c2 = await makeGroup(app, bob!, [alice!])
  const sent: string[] = []
  for (let i = 0; i < 7; i++) sent.push(await send(app, alice!, i % 2 === 0 ? c1 : c2, `report number ${i} 报告`))
  for (const q of ['reports', '报告']) {
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const r = await search(app, bob!, { q, limit: 3, ...(cursor !== undefined ? { cursor } : {}) })
      t.equal(r.status, 200)
      seen.push(...r.hits.map((h) => h.message.id))
      cursor = r.next
      pages++
    } while (cursor !== undefined && pages < 10)
    t.equal(pages, 3, `${q}: 3 + 3 + 1`)
    t.same(seen, [...sent].reverse(), `${q}: every message once, newest first, across conversations`)
  }
  const last = await search(app, bob!, { q: 'report', limit: 7 })
  t.equal(last.hits.length, 7)
  t.equal(last.next, undefined, 'no cursor when the page is the last')
})

/**
 * The first page may come from the newest rows of the most recently active conversations
 * (src/modules/search/service.ts, "recent window"). These worlds are built so that the
 * window alone would give a wrong first page; the answer must still be the newest hits.
 */
t.test('first page: the recent window never hides a newer hit', async (t) => {
  const app = await build(t)
  const sql = (text: string, params: unknown[] = []): Promise<unknown> => app.prisma.$executeRawUnsafe(text, ...params)
  const at = (minutesAgo: number): string => new Date(Date.now() - minutesAgo * 60_000).toISOString()

  t.test('a conversation outside the window holds the newest hit', async (t) => {
    const [alice, bob] = await makeUsers(app, 2)
    // Four conversations active just now whose hits are a day old, and a fifth, quiet for an
    // hour, whose hit is an hour old: the window scans the four busy ones only.
    const busy: string[] = []
    for (let i = 0; i < 4; i++) {
      const c = await makeGroup(app, alice!, [bob!])
      busy.push(c)
      const hit = await send(app, alice!, c, `kiwi ${i} 猕猴桃`)
      await sql('UPDATE messages SET created_at = $1::timestamptz WHERE id = $2::uuid', [at(24 * 60 + i), hit])
      await send(app, alice!, c, `nothing to see ${i}`)
    }
    const quiet = await makeGroup(app, alice!, [bob!])
    const newest = await send(app, alice!, quiet, 'kiwi quiet 猕猴桃')
    await sql('UPDATE messages SET created_at = $1::timestamptz WHERE id = $2::uuid', [at(60), newest])
    await sql('UPDATE conversations SET last_message_at = $1::timestamptz WHERE id = $2::uuid', [at(60), quiet])
    for (const q of ['kiwi', '猕猴桃']) {
      const r = await search(app, bob!, { q, limit: 2 })
      t.equal(r.hits[0]?.message.id, newest, `${q}: the hour-old hit outside the window comes first`)
      t.equal(r.hits.length, 2)
      t.ok(r.next, `${q}: more pages`)
    }
  })

  t.test('a conversation cut off by the window holds newer hits below its cut', async (t) => {
    const [alice, bob] = await makeUsers(app, 2)
    // `long` has 1,100 messages a minute apart; its 50 oldest are hits, none of the newest
    // 1,000 (the window) are. `short` has three hits, all older than every row of `long`.
    const long = await makeGroup(app, alice!, [bob!])
    const short = await makeGroup(app, alice!, [bob!])
    for (let i = 0; i < 3; i++) {
      const id = await send(app, alice!, short, `durian ${i} 榴莲`)
      await sql('UPDATE messages SET created_at = $1::timestamptz WHERE id = $2::uuid', [at(10_000 + i), id])
    }
    await sql(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, type, content, created_at)
      SELECT gen_random_uuid(), $1::uuid, s, $2::uuid, 'bulk-' || s, 'text',
        to_jsonb(CASE WHEN s <= 50 THEN 'durian bulk ' || s || ' 榴莲' ELSE 'filler ' || s END),
        now() - (1100 - s) * interval '1 minute'
      FROM generate_series(1, 1100) s`, [long, alice!.id])
    await sql('UPDATE conversations SET last_seq = 1100, last_message_at = now() WHERE id = $1::uuid', [long])
    for (const q of ['durian', '榴莲']) {
      const r = await search(app, bob!, { q, limit: 2 })
      t.same(r.hits.map((h) => h.message.content), ['durian bulk 50 榴莲', 'durian bulk 49 榴莲'], `${q}: the newest hits, from below the cut`)
    }
  })
})

t.test('bad input: error code, nothing written', async (t) => {
  const app = await build(t)
  const [alice] = await makeUsers(app, 1)
  const bad: Array<[string, string]> = [
    ['', 'empty'],
    ['   ', 'blank'],
    ['\t\n', 'whitespace only'],
    ['x'.repeat(257), 'over 256 characters'],
    ['a'.repeat(10_000), '10 KB'],
    ['ab\u0000cd', 'NUL']
  ]
  for (const [q, label] of bad) {
    await refused(t, app, 'VALIDATION', label, async () => await app.inject({ url: '/api/search/messages', query: { q }, headers: alice!.auth }))
  }
  await refused(t, app, 'VALIDATION', 'no q', async () => await app.inject({ url: '/api/search/messages', headers: alice!.auth }))
  await refused(t, app, 'VALIDATION', 'limit 0', async () => await app.inject({ url: '/api/search/messages?q=a&limit=0', headers: alice!.auth }))
  await refused(t, app, 'VALIDATION', 'limit 51', async () => await app.inject({ url: '/api/search/messages?q=a&limit=51', headers: alice!.auth }))
  await refused(t, app, 'VALIDATION', 'bad conversationId', async () => await app.inject({ url: '/api/search/messages?q=a&conversationId=nope', headers: alice!.auth }))
  await refused(t, app, 'VALIDATION', 'bad cursor', async () => await app.inject({ url: '/api/search/messages?q=a&cursor=garbage', headers: alice!.auth }))
  await refused(t, app, 'UNAUTHORIZED', 'no token', async () => await app.inject({ url: '/api/search/messages?q=a' }))
  const ok = await app.inject({ url: '/api/search/messages', query: { q: 'x'.repeat(256) }, headers: alice!.auth })
  t.equal(ok.statusCode, 200, '256 characters is allowed')
  const odd = await app.inject({ url: '/api/search/messages', query: { q: '\u{1F600}\u200B\uFEFF\u0301 e\u0301' }, headers: alice!.auth })
  t.equal(odd.statusCode, 200, 'odd but valid Unicode is just text')
})
