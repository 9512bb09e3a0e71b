// suite: default only — the browser page; the server paths it drives run on both engines in test/modules/link-previews
import t from 'tap'
import { aliceAndBob, id, openChat, signedInPage, WAIT } from './fixtures.js'
import { startSite } from '../modules/link-previews/site.js'

/** A link preview in real Chromium: Alice sends a URL, both see the card (image from this server only), sends one without a preview (also one sent offline and retried), removes the first. */
t.setTimeout(240_000)

t.test('the card shows for both, its image comes from this server, the sender removes it', async (t) => {
  const site = await startSite()
  t.teardown(site.close)
  const { world, alice, bob } = await aliceAndBob(t, { consoleErrors: true, config: { OUTBOUND_ALLOWED_HOSTS: site.host, JOBS_WORKER: true } })
  const a = await signedInPage(world, alice)
  const browserToSite: string[] = []
  const b = await signedInPage(world, bob, (page) => { page.on('request', (r) => { if (r.url().startsWith(site.origin)) browserToSite.push(r.url()) }) })
  await openChat(a.page, 'Bob Builder')
  await openChat(b.page, 'Alice Liddell')

  await a.page.fill(id('composer-input'), `have a look ${site.origin}/og`)
  await a.page.click(id('send'))
  const card = b.page.locator(`${id('message')} ${id('link-preview')}`)
  await card.waitFor({ timeout: WAIT })
  t.equal(await card.locator(id('link-preview-title')).textContent(), 'Open & Graph')
  t.equal(await card.locator(id('link-preview-site')).textContent(), 'Example Site')
  t.equal(await card.locator(id('link-preview-description')).textContent(), 'The OG description')
  t.equal(await card.locator(id('link-preview-title')).getAttribute('rel'), 'noopener noreferrer nofollow')
  await b.page.waitForFunction((sel) => {
    const img = document.querySelector(sel) as HTMLImageElement | null
    return img !== null && img.complete && img.naturalWidth === 1
  }, `${id('link-preview')} ${id('link-preview-image')}`, { timeout: WAIT })
  const src = await card.locator(id('link-preview-image')).evaluate((img) => (img as HTMLImageElement).currentSrc)
  t.ok(src?.startsWith(`${world.url}/api/uploads/`), `the image loads from this server (${src?.slice(0, 60)}…)`)
  t.same(browserToSite, [], 'Bob\'s browser never contacted the site')
  t.equal(await card.locator(id('link-preview-remove')).count(), 0, 'only the sender may remove it')

  // Alice sends the next one without a preview: the composer's toggle, for one message
  await a.page.click(id('link-preview-toggle'))
  t.equal(await a.page.locator(id('link-preview-toggle')).getAttribute('aria-pressed'), 'false')
  await a.page.fill(id('composer-input'), `no card: ${site.origin}/twitter`)
  await a.page.click(id('send'))
  await b.page.locator(id('message')).filter({ hasText: 'no card:' }).waitFor({ timeout: WAIT })
  const [row] = await world.app.sql.query<{ url: string | null }>('SELECT link_preview_url AS url FROM messages WHERE content #>> \'{}\' LIKE $1', ['no card:%'])
  t.equal(row?.url, null, 'sent with linkPreview false: no fetch is queued')
  t.equal(await a.page.locator(id('link-preview-toggle')).getAttribute('aria-pressed'), 'true', 'the toggle is back on after the send')
  t.equal(await b.page.locator(id('link-preview')).count(), 1, 'still one card')

  // Without a preview while offline: the send is tried again once the page is back online,
  // and that retry is still the message without a preview.
  await a.ctx.setOffline(true)
  await a.page.waitForSelector(`${id('conn-status')}[data-status="offline"]`, { timeout: WAIT })
  await a.page.click(id('link-preview-toggle'))
  await a.page.fill(id('composer-input'), `offline, no card: ${site.origin}/plain`)
  await a.page.click(id('send'))
  await a.page.locator(id('message-pending')).filter({ hasText: 'offline, no card:' }).waitFor({ timeout: WAIT })
  await a.ctx.setOffline(false)
  await b.page.locator(id('message')).filter({ hasText: 'offline, no card:' }).waitFor({ timeout: WAIT })
  const [retried] = await world.app.sql.query<{ url: string | null, n: number }>('SELECT link_preview_url AS url, count(*) OVER ()::int AS n FROM messages WHERE content #>> \'{}\' LIKE $1', ['offline, no card:%'])
  t.same(retried, { url: null, n: 1 }, 'the retried send kept linkPreview false (and is one message)')
  await world.app.jobs.flush()
  t.equal(site.hits.filter((p) => p === '/plain').length, 0, 'the page was never fetched')
  t.equal(await b.page.locator(id('link-preview')).count(), 1, 'still one card')

  await a.page.locator(`${id('link-preview')} ${id('link-preview-remove')}`).click()
  await b.page.locator(id('link-preview')).waitFor({ state: 'detached', timeout: WAIT })
  await a.page.locator(id('link-preview')).waitFor({ state: 'detached', timeout: WAIT })
  t.same(world.errors, [], 'no page errors')
})
