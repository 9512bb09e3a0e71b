// suite: default only — the browser page; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { type TestUser } from '../helper.js'
import { gradientPng, namedUser, openChat, signedInPage, WAIT, id, aliceAndBob } from './fixtures.js'
import { multipart } from '../modules/uploads/helpers.js'

/**
 * Who sees what, in real Chromium: a deleted message stays gone while others edit and react
 * to it, a reply's quote follows the quoted message's edit, images load through signed URLs
 * (no token in any URL), and the presence setting in the top bar hides one's presence from a
 * friend's open chat.
 */
t.setTimeout(180_000)

t.test('deleted stays deleted live, quotes follow edits, images through signed URLs, the presence setting', async (t) => {
  const { world, app, alice, bob } = await aliceAndBob(t)
  const { errors } = world
  const carol = await namedUser(app, 'Carol Danvers')
  const g = (await app.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name: 'Crew', memberIds: [bob.id, carol.id] } })).json().id as string
  const say = async (u: TestUser, payload: Record<string, unknown>): Promise<any> => {
    const res = await app.inject({ method: 'POST', url: `/api/conversations/${g}/messages`, headers: u.auth, payload: { clientMsgId: randomUUID(), ...payload } })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json()
  }
  const secret = await say(alice, { type: 'text', content: 'secret plan one' })
  const quoted = await say(alice, { type: 'text', content: 'draft words' })
  await say(bob, { type: 'text', content: 'noted', replyTo: quoted.id })
  const { payload, headers } = multipart([{ filename: 'g.png', type: 'image/png', data: gradientPng(120, 80) }])
  const file = (await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...headers, ...alice.auth }, payload })).json()
  await say(alice, { type: 'image', content: { ...file, width: 120, height: 80 } })

  const requests: string[] = []
  const b = await signedInPage(world, bob, (page) => { page.on('request', (r) => { requests.push(r.url()) }) })
  await openChat(b.page, 'Crew')

  // Images: loaded through a signed URL, never a token.
  await b.page.waitForFunction((sel) => {
    const img = document.querySelector<HTMLImageElement>(sel)
    return img !== null && img.complete && img.naturalWidth === 120
  }, id('message-image'), { timeout: WAIT })
  const src = await b.page.locator(id('message-image')).getAttribute('src')
  t.match(src, /^\/api\/uploads\/[0-9a-f-]{36}\?user=[0-9a-f-]{36}&expires=\d+&sig=[\w-]+$/, 'the image loads through a signed URL')
  t.same(requests.filter((r) => /[?&]token=/.test(r)), [], 'no request carries a token in its URL')

  // Delete for me, then others edit and react: it does not come back.
  const row = b.page.locator(id('message'), { has: b.page.locator(id('message-text'), { hasText: 'secret plan one' }) })
  await row.waitFor({ timeout: WAIT })
  t.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${g}/messages/${secret.id}?for=me`, headers: bob.auth })).statusCode, 204)
  await row.waitFor({ state: 'detached', timeout: WAIT })
  t.equal((await app.inject({ method: 'PATCH', url: `/api/conversations/${g}/messages/${secret.id}`, headers: alice.auth, payload: { content: 'secret plan two' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'PUT', url: `/api/conversations/${g}/messages/${secret.id}/reactions/${encodeURIComponent('👍')}`, headers: carol.auth })).statusCode, 200)

  // A reply's quote follows the edit of the quoted message, live.
  t.equal((await app.inject({ method: 'PATCH', url: `/api/conversations/${g}/messages/${quoted.id}`, headers: alice.auth, payload: { content: 'final words' } })).statusCode, 200)
  await b.page.locator(id('reply-quote'), { hasText: 'final words' }).waitFor({ timeout: WAIT })
  t.pass('the quote shows the edited text')
  t.equal(await b.page.locator(id('message-text'), { hasText: 'secret plan' }).count(), 0, 'the deleted message stays deleted after an edit and a reaction by others')
  t.equal(await b.page.locator('text=draft words').count(), 0, 'the replaced text is gone from the page')

  // The presence setting: Bob hides his presence; Alice's open chat with him shows nothing.
  const a = await signedInPage(world, alice, (page) => { page.on('request', (r) => { requests.push(r.url()) }) })
  await openChat(a.page, 'Bob Builder')
  await a.page.waitForSelector(`${id('chat-subtitle')}[data-presence="online"]`, { timeout: WAIT })
  const setting = b.page.locator(id('presence-visibility'))
  await b.page.waitForSelector(`${id('presence-visibility')}[data-value="contacts"]`, { timeout: WAIT })
  await setting.selectOption('nobody')
  await a.page.waitForSelector(`${id('chat-subtitle')}[data-presence="hidden"]`, { state: 'attached', timeout: WAIT })
  t.equal(await a.page.locator(id('chat-subtitle')).textContent(), '', 'no online, no last seen')
  t.equal((await app.prisma.user.findUniqueOrThrow({ where: { id: bob.id } })).presenceVisibility, 'nobody', 'stored')
  await b.page.reload()
  await b.page.waitForSelector(`${id('presence-visibility')}[data-value="nobody"]`, { timeout: WAIT })
  t.pass('the control shows the stored setting after a reload')

  t.same(errors, [], 'no page errors')
})
