import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Message } from '@relay-im/client/protocol'
import { befriend, listen, registerUser } from '../../helper.js'
import { until } from '../../socket-client.js'
import { PNG, startSite } from './site.js'

/**
 * The limits are the configured ones, not only the defaults: LINK_PREVIEW_PAGE_MAX_BYTES (4 KiB
 * here), LINK_PREVIEW_IMAGE_MAX_BYTES (1 KiB here: a larger image is dropped, and only about
 * that much of it is read), LINK_PREVIEW_CACHE_S (how long a result is kept).
 */

/** A PNG signature and header, then 16 MiB streamed as the client takes it (kernel buffers on loopback hold a few MiB). */
const BIG_PNG_BYTES = 16 * 1024 * 1024

t.test('configured page, image and cache limits', async (t) => {
  const site = await startSite({
    '/late-title': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(`<html><head><meta name="description" content="Early description"><!-- ${'x'.repeat(6000)} --><title>Late title</title></head></html>`)
    },
    '/big-image': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<html><head><title>Big image</title><meta property="og:image" content="/big.png"></head></html>')
    },
    '/big.png': (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' })
      res.write(PNG.subarray(0, 33))
      const chunk = Buffer.alloc(64 * 1024, 7)
      let left = BIG_PNG_BYTES / chunk.length
      const more = (): void => {
        while (left > 0 && !res.destroyed) {
          left--
          if (!res.write(chunk)) { res.once('drain', more); return }
        }
        res.end()
      }
      more()
    }
  })
  t.teardown(site.close)
  const { app } = await listen(t, {
    OUTBOUND_ALLOWED_HOSTS: site.host,
    JOBS_WORKER: true,
    LINK_PREVIEW_PAGE_MAX_BYTES: 4096,
    LINK_PREVIEW_IMAGE_MAX_BYTES: 1024,
    LINK_PREVIEW_CACHE_S: 120
  })
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  await befriend(app, alice, bob)
  const conversationId = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: alice.auth, payload: { userId: bob.id } })).json().id as string
  const send = async (path: string): Promise<Message> => (await app.inject({
    method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: alice.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: `${site.origin}${path}` }
  })).json()
  const sent = [await send('/late-title'), await send('/og'), await send('/big-image')]
  let rows: Array<{ preview: Message['linkPreview'] }> = []
  await until(async () => {
    await app.jobs.flush()
    rows = await app.sql.query('SELECT link_preview AS preview FROM messages WHERE id = ANY($1::uuid[]) AND link_preview IS NOT NULL ORDER BY array_position($1::uuid[], id)', [sent.map((m) => m.id)])
    return rows.length === sent.length
  }, 30_000, 'the previews')
  const [late, og, big] = rows.map((r) => r.preview!)
  t.match(late, { title: null, description: 'Early description' }, 'the <title> past 4 KiB was not read')
  t.match(og!.image, /^\/api\/uploads\//, 'an image under 1 KiB is stored')
  t.match(big, { title: 'Big image', image: null }, 'an image over 1 KiB is dropped; the preview comes without it')
  t.ok(site.hits.includes('/big.png'), 'it was asked for')
  await until(() => site.sent.has('/big.png'), 10_000, 'the image response to end')
  t.ok(site.sent.get('/big.png')! < BIG_PNG_BYTES / 2, `the fetch hung up past the limit (${site.sent.get('/big.png')} of ${BIG_PNG_BYTES} bytes left the site)`)
  const kept = await app.sql.query<{ s: number }>('SELECT extract(epoch FROM expires_at - fetched_at)::int AS s FROM link_preview_cache WHERE url = ANY($1::text[])', [['/late-title', '/og', '/big-image'].map((p) => `${site.origin}${p}`)])
  t.same(kept.map((r) => r.s), [120, 120, 120], 'each result kept for LINK_PREVIEW_CACHE_S')
})
