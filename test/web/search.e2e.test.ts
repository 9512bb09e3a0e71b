// suite: default only — the browser page; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { befriend, registerUser } from '../helper.js'
import { pageWorld, WAIT, id } from './fixtures.js'

/**
 * Message search in real Chromium: the sidebar's search box finds an old message (English and
 * Chinese), shows the match marked without parsing message HTML, and a result opens the
 * conversation scrolled back to that message, highlighted.
 */
t.setTimeout(180_000)

t.test('search box: results jump to the message in context', async (t) => {
  const { app, url, errors, openPage } = await pageWorld(t)

  const alice = await registerUser(app)
  const bob = await registerUser(app)
  await befriend(app, alice, bob)
  const conversationId = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: alice.auth, payload: { userId: bob.id } })).json().id as string
  const tag = randomUUID().slice(0, 6)
  const post = async (content: string): Promise<number> => {
    const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: bob.auth, payload: { clientMsgId: randomUUID(), type: 'text', content } })
    return res.json().seq as number
  }
  // The target is far back: more than two pages of history come after it.
  const targetSeq = await post(`Meet me in 北京 tomorrow, code needle${tag} <img src=x onerror="window.__xss=1">`)
  for (let i = 0; i < 150; i++) await post(`filler message ${i}`)

  const { page } = await openPage({ viewport: { width: 1000, height: 700 } })
  await page.goto(url)
  await page.fill(id('auth-username'), alice.username)
  await page.fill(id('auth-password'), 'correct horse battery')
  await page.click(id('auth-submit'))
  await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })

  await page.fill(id('message-search'), `needle${tag}`)
  const hit = page.locator(id('message-hit'))
  await hit.first().waitFor({ timeout: WAIT })
  t.equal(await hit.count(), 1, 'one result')
  t.equal(await hit.first().getAttribute('data-seq'), String(targetSeq))
  t.equal(await hit.first().locator('mark').first().textContent(), `needle${tag}`, 'the match is marked')
  t.equal(await hit.first().locator('img').count(), 0, 'message HTML is text, not markup')
  t.match(await hit.first().locator(id('message-hit-text')).textContent(), '<img src=x')

  await page.fill(id('message-search'), '北京')
  await page.waitForSelector(`${id('message-hit')} mark:text("北京")`, { timeout: WAIT })
  await page.fill(id('message-search'), `nothing${tag}`)
  await page.waitForSelector(`${id('message-search-status')}:text("No messages found")`, { timeout: WAIT })
  await page.fill(id('message-search'), `needle${tag}`)
  await hit.first().waitFor({ timeout: WAIT })

  await hit.first().click()
  const found = page.locator(`${id('message')}[data-found="true"]`)
  await found.waitFor({ timeout: WAIT })
  t.equal(await found.getAttribute('data-seq'), String(targetSeq), 'the conversation opened at the message')
  t.equal(await page.getAttribute(id('chat'), 'data-conversation-id'), conversationId)
  t.ok(await found.isVisible(), 'scrolled into view')
  const inView = await found.evaluate((el) => {
    const r = el.getBoundingClientRect()
    const s = document.querySelector('[data-testid="messages"]')!.getBoundingClientRect()
    return r.top >= s.top && r.bottom <= s.bottom
  })
  t.ok(inView, 'inside the visible part of the message list')
  t.equal(await page.evaluate(() => (window as any).__xss), undefined, 'no script ran')
  t.same(errors, [], 'no page errors')
})
