// suite: default only — the page's own behaviour; the services suite runs the server paths
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Page } from 'playwright-core'
import { openChat, signedInPage, aliceAndBob, WAIT, id } from './fixtures.js'

/**
 * Menus inside the window (flipping up over the composer, inside 390 px), links that open
 * safely, emoji-only messages enlarged, Recall only within the server's window and both
 * destructive actions confirmed, and a sign-up whose rules are stated and whose error is a
 * sentence. About 20 s: the recall window has to run out once.
 */
t.setTimeout(90_000)

const RECALL_WINDOW_S = 6

async function send (page: Page, text: string): Promise<void> {
  await page.fill(id('composer-input'), text)
  await page.press(id('composer-input'), 'Enter')
  await page.waitForSelector(`${id('message')}[data-mine="true"]:has-text("${text}")`, { timeout: WAIT })
}

t.test('menus on screen, safe links, emoji, recall window, confirmations, sign-up rules', async (t) => {
  const { world, app, alice, bob, direct } = await aliceAndBob(t, { config: { RECALL_WINDOW_S } })
  t.equal((await app.inject({ method: 'GET', url: '/api/version' })).json().recallWindowS, RECALL_WINDOW_S, 'the server tells its recall window')
  for (let i = 0; i < 30; i++) {
    await app.inject({ method: 'POST', url: `/api/conversations/${direct}/messages`, headers: bob.auth, payload: { type: 'text', content: `filler ${i}`, clientMsgId: randomUUID() } })
  }
  const text = 'see https://example.com/a?b=1, and www.example.org. not javascript:alert(1) nor data:text/html,x'
  await app.inject({ method: 'POST', url: `/api/conversations/${direct}/messages`, headers: bob.auth, payload: { type: 'text', content: text, clientMsgId: randomUUID() } })
  await app.inject({ method: 'POST', url: `/api/conversations/${direct}/messages`, headers: bob.auth, payload: { type: 'text', content: '👍🎉', clientMsgId: randomUUID() } })

  for (const width of [1280, 390]) {
    let versionReads = 0
    const { page } = await signedInPage(world, alice, (p) => { p.on('request', (r) => { if (new URL(r.url()).pathname === '/api/version') versionReads++ }) }, { viewport: { width, height: width === 390 ? 760 : 800 }, locale: 'en-US' })
    await openChat(page, 'Bob Builder')
    t.equal(versionReads, 1, `${width}px: one GET /api/version at start (the SDK's, which the page reads too)`)
    const newest = page.locator(id('message')).last()
    await newest.waitFor({ timeout: WAIT })
    t.equal(await page.locator(`${id('message-text')}:text-is("👍🎉")`).getAttribute('data-emoji-only'), 'true', 'emoji-only is enlarged')
    await newest.hover()
    await newest.locator(id('message-menu')).click()
    const pop = newest.locator(id('message-menu-pop'))
    await pop.waitFor({ timeout: WAIT })
    const box = (await pop.boundingBox())!
    const composer = (await page.locator(id('composer')).boundingBox())!
    t.ok(box.x >= 0 && box.x + box.width <= width, `${width}px: the menu is inside the window sideways (${Math.round(box.x)}..${Math.round(box.x + box.width)})`)
    t.ok(box.y >= 0 && box.y + box.height <= composer.y + 1, `${width}px: the menu flips up above the composer (${Math.round(box.y + box.height)} <= ${Math.round(composer.y)})`)
    t.equal(await pop.getAttribute('data-placement'), 'up')
    await page.keyboard.press('Escape')
    await page.mouse.click(5, 5)

    const links = page.locator(`${id('message-text')}:has-text("see https") ${id('message-link')}`)
    t.same(await links.evaluateAll((els) => els.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel'), a.textContent])), [
      ['https://example.com/a?b=1', '_blank', 'noopener noreferrer', 'https://example.com/a?b=1'],
      ['https://www.example.org/', '_blank', 'noopener noreferrer', 'www.example.org']
    ], 'http(s) and www. addresses are links; javascript: and data: are not')
    if (width === 390) {
      t.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, 'no sideways scrolling at 390 px')
      const bar = (await page.locator('.topbar').boundingBox())!
      t.ok(bar.height < 56, `the top bar stays on one line (${bar.height}px)`)
    }
    // Scrolled to the top (older pages load on the way), the history's first line is whole inside the list.
    const toTop = async (): Promise<void> => { await page.evaluate(() => { document.querySelector('[data-testid="messages"]')!.scrollTop = 0 }) }
    await toTop()
    await page.waitForSelector(`${id('history-top')}[data-state="beginning"]`, { timeout: WAIT })
    await toTop()
    const top = (await page.locator(id('history-top')).boundingBox())!
    const list = (await page.locator(id('messages')).boundingBox())!
    t.ok(top.y >= list.y && top.height >= 30, `"Beginning of the conversation" is not cut (${Math.round(top.y)} >= ${Math.round(list.y)}, ${top.height}px)`)

    if (width === 1280) {
      // ---- Recall within the window, asked first; gone once the window is over
      await send(page, 'to recall')
      const mine = page.locator(`${id('message')}[data-mine="true"]:has-text("to recall")`)
      await mine.hover()
      await mine.locator(id('recall')).click()
      await page.click(id('confirm-cancel'))
      t.equal(await mine.locator(id('message-recalled')).count(), 0, 'cancel keeps the message')
      await mine.hover()
      await mine.locator(id('recall')).click()
      t.equal(await page.textContent(id('confirm-text')), 'Recall this message for everyone?')
      await page.click(id('confirm-ok'))
      await page.waitForSelector(`${id('message')}[data-mine="true"] ${id('message-recalled')}`, { timeout: WAIT })
      await send(page, 'too late to recall')
      const late = page.locator(`${id('message')}[data-mine="true"]:has-text("too late to recall")`)
      t.equal(await late.locator(id('recall')).count(), 1, 'Recall offered within the window')
      await late.locator(id('recall')).waitFor({ state: 'detached', timeout: (RECALL_WINDOW_S + 3) * 1000 })
      t.pass('and gone when it ends')

      // ---- Delete for me, asked first
      const filler = page.locator(`${id('message')}:has-text("filler 29")`)
      await filler.hover()
      await filler.locator(id('message-menu')).click()
      await filler.locator(id('action-delete-for-me')).click()
      t.match(await page.textContent(id('confirm-text')), /Delete this message for you/)
      await page.click(id('confirm-ok'))
      await filler.waitFor({ state: 'detached', timeout: WAIT })
    }
  }

  // ---- Sign-up: the rules are stated; a Chinese username gets a sentence, not the validator's text
  const { page } = await world.openPage({ locale: 'en-US' })
  await page.goto(world.url)
  await page.click(id('auth-toggle'))
  t.match(await page.textContent(id('username-rules')), /3–32 characters: English letters, digits/)
  t.ok(await page.locator(id('username-rules')).isVisible(), 'the rules show while signing up')
  await page.fill(id('auth-username'), '王小明')
  await page.fill(id('auth-password'), 'correct horse battery')
  await page.click(id('auth-submit'))
  await page.waitForSelector(`${id('auth-error')}:not(:empty)`, { timeout: WAIT })
  const error = await page.textContent(id('auth-error'))
  t.notMatch(error, /must match|body\//, `no validator text: ${error}`)
  t.match(error, /username is not allowed/)
  t.same(world.errors, [], 'no page errors')
})
