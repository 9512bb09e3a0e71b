import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Message } from '@relay-im/client/protocol'
import { befriend, listen, registerUser, type TestUser } from '../../helper.js'
import { connect, until } from '../../socket-client.js'
import { startSite, PNG, type Site } from './site.js'
import type { App } from '../../../src/app.js'

/**
 * Link previews end to end: real pages from a local HTTP server (allowed by
 * OUTBOUND_ALLOWED_HOSTS), the job queue, the change stream and the upload of the image.
 * Over 20 s (40-60 s on the shared 2-core machine): one app with a queue worker, a dozen page
 * fetches through the queue, and the slow page waits out LINK_PREVIEW_TIMEOUT_MS on purpose.
 */

let site: Site
let app: App
let url: string
let release: () => void = () => {}
let gate = new Promise<void>((resolve) => { release = resolve })

t.before(async () => {
  site = await startSite({
    // Answers only once the test calls release(): a fetch that is under way while the test acts.
    '/gate': (_req, res) => {
      void gate.then(() => {
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end('<html><head><title>Gated page</title></head></html>')
      })
    },
    '/gate2': (_req, res) => {
      void gate.then(() => {
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end('<html><head><title>Gated page two</title></head></html>')
      })
    }
  })
  const started = await listen(t, {
    OUTBOUND_ALLOWED_HOSTS: site.host,
    JOBS_WORKER: true,
    LINK_PREVIEW_TIMEOUT_MS: 800,
    LINK_PREVIEW_CACHE_S: 0
  })
  app = started.app
  url = started.url
})
t.teardown(async () => { release(); await site.close() })

async function direct (a: TestUser, b: TestUser): Promise<string> {
  await befriend(app, a, b)
  const res = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a.auth, payload: { userId: b.id } })
  return res.json().id
}

async function pair (): Promise<{ alice: TestUser, bob: TestUser, conversationId: string }> {
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  return { alice, bob, conversationId: await direct(alice, bob) }
}

async function send (user: TestUser, conversationId: string, content: string, extra: Record<string, unknown> = {}): Promise<Message> {
  const res = await app.inject({
    method: 'POST',
    url: `/api/conversations/${conversationId}/messages`,
    headers: user.auth,
    payload: { clientMsgId: randomUUID(), type: 'text', content, ...extra }
  })
  if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** Waits until no link-preview fetch is queued or running (the outbox relayed, every job settled). */
async function idle (): Promise<void> {
  await until(async () => {
    await app.jobs.flush()
    const [row] = await app.sql.query<{ n: number }>(`
      SELECT (SELECT count(*) FROM link_preview_outbox)::int + (SELECT count(*) FROM pgboss.job
        WHERE name = 'link-preview' AND state IN ('created', 'retry', 'active'))::int AS n`, [])
    return row!.n === 0
  }, 20_000, 'the link-preview queue to go idle')
}

async function messageOf (user: TestUser, conversationId: string, id: string): Promise<Message> {
  const res = await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages?limit=100`, headers: user.auth })
  const found = (res.json().messages as Message[]).find((m) => m.id === id)
  if (found === undefined) throw new Error('message not in history')
  return found
}

/** Sends `path` of the site and waits for its job; the message as history then serves it to `reader`. */
async function previewed (path: string, extra: Record<string, unknown> = {}): Promise<{ message: Message, alice: TestUser, bob: TestUser, conversationId: string }> {
  const { alice, bob, conversationId } = await pair()
  const sent = await send(alice, conversationId, `look: ${site.origin}${path} !`, extra)
  await idle()
  return { message: await messageOf(bob, conversationId, sent.id), alice, bob, conversationId }
}

t.test('Open Graph: title, description, site name and the image stored as an upload; every member gets message:updated once', async (t) => {
  const { alice, bob, conversationId } = await pair()
  const bobSocket = await connect(t, url, bob)
  const aliceSocket = await connect(t, url, alice)
  const sent = await send(alice, conversationId, `see ${site.origin}/og.`)
  t.notOk('linkPreview' in sent, 'the send answers at once, without a preview')
  const [updated] = await bobSocket.waitFor('message:updated')
  await aliceSocket.waitFor('message:updated')
  const preview = (updated as Message).linkPreview!
  t.match(preview, { url: `${site.origin}/og`, title: 'Open & Graph', description: 'The OG description', siteName: 'Example Site' })
  t.match(preview.image, /^\/api\/uploads\/[0-9a-f-]{36}$/, 'the image is an upload on this server')
  const img = await app.inject({ method: 'GET', url: preview.image!, headers: bob.auth })
  t.equal(img.statusCode, 200, 'a member loads the image from this server')
  t.same(img.rawPayload, PNG, 'the very bytes the site served')
  const stranger = await registerUser(app)
  t.equal((await app.inject({ method: 'GET', url: preview.image!, headers: stranger.auth })).statusCode, 404, 'someone who sees no message with it cannot')
  t.same((await messageOf(bob, conversationId, sent.id)).linkPreview, preview, 'history serves it')
  const sync = await bobSocket.call('sync', { cursors: { [conversationId]: sent.seq }, revs: { [conversationId]: sent.rev } })
  t.same(sync.data.updated.map((m: Message) => m.linkPreview), [preview], 'an offline device gets it from sync by rev')
  await idle()
  t.equal(bobSocket.of('message:updated').length, 1, 'exactly one change event')
})

t.test('Twitter card and plain <title> with meta description', async (t) => {
  const tw = await previewed('/twitter')
  t.match(tw.message.linkPreview, { title: 'Twitter title', description: 'Twitter description', siteName: null, image: null })
  const plain = await previewed('/plain')
  t.match(plain.message.linkPreview, { title: 'Just a title', description: 'Plain description' }, 'white space collapsed')
})

t.test('a redirect within allowed hosts is followed, each hop checked', async (t) => {
  const { message } = await previewed('/redirect-ok')
  t.match(message.linkPreview, { url: `${site.origin}/redirect-ok`, title: 'Open & Graph' })
})

t.test('nothing is attached for refused, failing or useless pages', async (t) => {
  for (const [path, why] of [
    ['/redirect-loopback', 'a redirect to a name that resolves to loopback (not allowed): refused at connect time'],
    ['/redirect-private', 'a redirect to a private address over http'],
    ['/redirect-loop', 'too many redirects'],
    ['/json', 'not text/html'],
    ['/nothing', 'no title or description'],
    ['/missing', 'a 404'],
    ['/slow', 'a page that never finishes']
  ] as const) {
    const before = site.hits.length
    const started = Date.now()
    const { message } = await previewed(path)
    t.notOk('linkPreview' in message, why)
    if (path === '/slow') t.ok(Date.now() - started < 10_000, `the slow page was given up after ${Date.now() - started} ms`)
    if (path === '/redirect-loopback' || path === '/redirect-private') {
      t.same(site.hits.slice(before), [path], 'the refused hop was never requested')
    }
  }
})

t.test('a message whose URL names a host that resolves to loopback (not allowed): refused at connect time, never requested', async (t) => {
  const { alice, bob, conversationId } = await pair()
  const before = site.connections
  const sent = await send(alice, conversationId, `https://localhost:${site.port}/og`)
  const [row] = await app.sql.query<{ url: string | null }>('SELECT link_preview_url AS url FROM messages WHERE id = $1::uuid', [sent.id])
  t.equal(row!.url, `https://localhost:${site.port}/og`, 'a name passes the send (no DNS there): its fetch is queued')
  await idle()
  t.notOk('linkPreview' in await messageOf(bob, conversationId, sent.id), 'no preview')
  t.equal(site.connections, before, 'not even a connection reached the loopback server')
})

t.test('a huge page is read only up to LINK_PREVIEW_PAGE_MAX_BYTES', async (t) => {
  const { message } = await previewed('/huge')
  t.equal(message.linkPreview?.title, 'Early title', 'the og:title after 3 MB was never read')
})

t.test('page text follows the text policy: NUL, bidi controls and line breaks are dropped', async (t) => {
  const { message } = await previewed('/hostile')
  t.equal(message.linkPreview?.title, 'Safegnp.exe title')
  t.equal(message.linkPreview?.description, 'line1 line2 x', 'line and paragraph separators are white space; the isolates are dropped')
  const idn = await previewed('/idn-title')
  t.equal(idn.message.linkPreview?.title, 'пример evil', 'non-Latin kept, the override dropped')
})

t.test('an og:image on loopback or not an image: the preview comes without it', async (t) => {
  const loop = await previewed('/loopback-image')
  t.match(loop.message.linkPreview, { title: 'Image on loopback', image: null })
  const fake = await previewed('/fake-image')
  t.match(fake.message.linkPreview, { title: 'Fake image', image: null }, 'a "PNG" that is not one fails the upload check')
})

t.test('no preview: sent with linkPreview false, no URL, credentials, other schemes, plain http elsewhere', async (t) => {
  const { alice, conversationId } = await pair()
  const before = site.hits.length
  const texts = [
    [`${site.origin}/og`, { linkPreview: false }],
    ['no link here', {}],
    [`http://user:pw@${site.host}/og`, {}],
    ['ftp://example.com/x javascript:alert(1) file:///etc/passwd', {}],
    ['http://example.com/plain-http-to-a-host-not-allowed', {}]
  ] as const
  for (const [text, extra] of texts) await send(alice, conversationId, text, extra)
  const [row] = await app.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1::uuid AND link_preview_url IS NOT NULL', [conversationId])
  t.equal(row!.n, 0, 'none wants a preview')
  await idle()
  t.equal(site.hits.length, before, 'nothing was fetched')
})

t.test('only the first URL counts; an IDN host is fetched as punycode', async (t) => {
  const { alice, conversationId } = await pair()
  const sent = await send(alice, conversationId, `${site.origin}/twitter then ${site.origin}/og`)
  await idle()
  t.equal((await messageOf(alice, conversationId, sent.id)).linkPreview?.title, 'Twitter title')
  const idn = await send(alice, conversationId, 'https://пример.испытание/страница')
  const [row] = await app.sql.query<{ url: string }>('SELECT link_preview_url AS url FROM messages WHERE id = $1::uuid', [idn.id])
  t.equal(row!.url, 'https://xn--e1afmkfd.xn--80akhbyknj4f/%D1%81%D1%82%D1%80%D0%B0%D0%BD%D0%B8%D1%86%D0%B0')
})

t.test('a message recalled while its page is fetched gets no preview', async (t) => {
  const { alice, bob, conversationId } = await pair()
  gate = new Promise<void>((resolve) => { release = resolve })
  const sent = await send(alice, conversationId, `${site.origin}/gate`)
  await until(() => site.hits.includes('/gate'), 10_000, 'the fetch to start')
  const recall = await app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/messages/${sent.id}`, headers: alice.auth })
  t.equal(recall.statusCode, 204)
  release()
  await idle()
  const m = await messageOf(bob, conversationId, sent.id)
  t.equal(m.recalled, true)
  t.notOk('linkPreview' in m, 'nothing attached after the recall')
})

t.test('removal: the sender only; it stays removed even when the fetch finishes later', async (t) => {
  const { alice, bob, conversationId } = await pair()
  gate = new Promise<void>((resolve) => { release = resolve })
  const sent = await send(alice, conversationId, `${site.origin}/gate2`)
  await until(() => site.hits.includes('/gate2'), 10_000, 'the fetch to start')
  const removed = await app.inject({ method: 'DELETE', url: `/api/messages/${sent.id}/link-preview`, headers: alice.auth })
  t.equal(removed.statusCode, 200)
  release()
  await idle()
  t.notOk('linkPreview' in await messageOf(bob, conversationId, sent.id), 'the late fetch attached nothing')

  const shown = await send(alice, conversationId, `${site.origin}/og`)
  await idle()
  t.ok((await messageOf(bob, conversationId, shown.id)).linkPreview, 'attached')
  const byBob = await app.inject({ method: 'DELETE', url: `/api/messages/${shown.id}/link-preview`, headers: bob.auth })
  t.equal(byBob.statusCode, 403, 'another member may not remove it')
  t.equal(byBob.json().error.code, 'FORBIDDEN')
  const stranger = await registerUser(app)
  const byStranger = await app.inject({ method: 'DELETE', url: `/api/messages/${shown.id}/link-preview`, headers: stranger.auth })
  t.equal(byStranger.statusCode, 404, 'a non-member learns nothing')
  t.ok((await messageOf(bob, conversationId, shown.id)).linkPreview, 'still attached after both refusals')
  const bobSocket = await connect(t, url, bob)
  const aliceSocket = await connect(t, url, alice)
  const ack = await aliceSocket.call('message:link-preview:remove', { messageId: shown.id })
  t.equal(ack.ok, true)
  t.notOk('linkPreview' in ack.data, 'the ack is the message without it')
  const [updated] = await bobSocket.waitFor('message:updated')
  t.notOk('linkPreview' in (updated as Message), 'members get message:updated without it')
  const again = await aliceSocket.call('message:link-preview:remove', { messageId: shown.id })
  t.equal(again.ok, true, 'removing again succeeds')
  const bad = await aliceSocket.call('message:link-preview:remove', { messageId: 'not-a-uuid' })
  t.equal(bad.error.code, 'VALIDATION')
})

t.test('an edit that changes the URL previews the new one; one that keeps it keeps the preview', async (t) => {
  const { alice, bob, conversationId } = await pair()
  const sent = await send(alice, conversationId, `${site.origin}/og`)
  await idle()
  const first = (await messageOf(bob, conversationId, sent.id)).linkPreview
  t.equal(first?.title, 'Open & Graph')
  const same = await app.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}/messages/${sent.id}`, headers: alice.auth, payload: { content: `still ${site.origin}/og` } })
  t.equal(same.statusCode, 200, same.body)
  await idle()
  t.same((await messageOf(bob, conversationId, sent.id)).linkPreview, first, 'same URL: kept')
  const changed = await app.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}/messages/${sent.id}`, headers: alice.auth, payload: { content: `now ${site.origin}/twitter` } })
  t.notOk('linkPreview' in changed.json(), 'the old preview goes with the edit')
  await idle()
  t.equal((await messageOf(bob, conversationId, sent.id)).linkPreview?.title, 'Twitter title', 'the new URL is previewed')
  await app.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}/messages/${sent.id}`, headers: alice.auth, payload: { content: 'no link any more' } })
  await idle()
  t.notOk('linkPreview' in await messageOf(bob, conversationId, sent.id), 'no URL: no preview')
})
