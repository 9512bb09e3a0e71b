// suite: default only — the page's own behaviour; the services suite runs the server paths
import t from 'tap'
import { openChat, signedInPage, aliceAndBob, WAIT, id } from './fixtures.js'

/**
 * A chat opened while the network is gone or the server does not answer: a handful of history
 * requests with back-off (not thousands), a calm "waiting" line instead of a raw error, and a
 * message sent meanwhile stays on screen, pending, in its chat until the server has it.
 * About 25 s: the back-off itself is what is measured (two windows of several seconds).
 */
t.setTimeout(90_000)

t.test('offline and server down: few history requests, a waiting line, the pending message stays', async (t) => {
  const { world, app, alice, bob } = await aliceAndBob(t, { consoleErrors: true })
  const g = await app.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name: 'Crew', memberIds: [bob.id] } })
  t.equal(g.statusCode, 201)

  const { ctx, page } = await signedInPage(world, alice)
  let historyRequests = 0
  page.on('request', (r) => { if (/\/api\/conversations\/[^/]+\/messages\?/.test(r.url())) historyRequests++ })
  await openChat(page, 'Bob Builder')

  // ---- offline: the send stays pending; another chat waits calmly
  await ctx.setOffline(true)
  await page.waitForSelector(`${id('conn-status')}[data-status="offline"]`, { timeout: WAIT })
  await page.fill(id('composer-input'), 'sent while offline')
  await page.press(id('composer-input'), 'Enter')
  await page.waitForSelector(`${id('message-pending')}:has-text("sent while offline")`, { timeout: WAIT })
  historyRequests = 0
  await openChat(page, 'Crew')
  await page.waitForSelector(`${id('history-top')}[data-state="waiting"]`, { timeout: WAIT })
  await page.waitForTimeout(4000)
  t.ok(historyRequests <= 3, `offline: ${historyRequests} history requests in 4 s`)
  t.equal(await page.textContent(id('history-top')), 'Waiting for the network…')
  t.notMatch(await page.textContent('body'), /Failed to fetch|failed:/, 'no raw error on the page')
  await openChat(page, 'Bob Builder')
  await page.waitForSelector(`${id('message-pending')}:has-text("sent while offline")`, { timeout: WAIT })
  t.pass('the pending message is still shown in its chat')

  // ---- back online: it is delivered and replaces its pending bubble
  await ctx.setOffline(false)
  await page.waitForSelector(`${id('message')}[data-mine="true"]:has-text("sent while offline")`, { timeout: WAIT })
  t.equal(await page.locator(id('message-pending')).count(), 0, 'no pending bubble left')

  // ---- server down for history (the browser online): back-off, then it loads
  await page.route('**/api/conversations/*/messages?*', (route) => route.abort('connectionrefused'))
  historyRequests = 0
  await openChat(page, 'Crew')
  await page.waitForSelector(`${id('history-top')}[data-state="waiting"]`, { timeout: WAIT })
  await page.waitForTimeout(5000)
  t.ok(historyRequests <= 5, `server down: ${historyRequests} history requests in 5 s`)
  t.notMatch(await page.textContent('body'), /Failed to fetch|failed:/, 'no raw error on the page')
  await page.unroute('**/api/conversations/*/messages?*')
  await page.waitForSelector(`${id('history-top')}[data-state="beginning"]`, { timeout: 20_000 })
  t.pass('history loads once the server answers')
  t.same(world.errors, [], 'no page errors')
})
