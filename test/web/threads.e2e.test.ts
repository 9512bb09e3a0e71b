// suite: default only — the browser page; the server paths it drives run on both engines in test/modules/messages/threads*.test.ts
import t from 'tap'
import type { Page } from 'playwright-core'
import { namedUser, openChat, pageWorld, signedInPage, WAIT, id } from './fixtures.js'

/** Threads in real Chromium, two browser contexts; Alice's goes offline while Bob's thread moves on. */
t.setTimeout(240_000)

const message = (page: Page, text: string) => page.locator(id('message'), { hasText: text })
const link = (page: Page) => page.locator(id('thread-link')).first()

t.test('open a thread in a side panel, reply, see counts and unread badges live and after being offline, full view at mobile width', async (t) => {
  const world = await pageWorld(t, { consoleErrors: true })
  const { app, errors } = world
  const alice = await namedUser(app, 'Alice Liddell')
  const bob = await namedUser(app, 'Bob Builder')
  const g = await app.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name: 'Thread club', memberIds: [bob.id] } })
  t.equal(g.statusCode, 201)
  const conversationId = g.json().id as string
  const root = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: alice.auth, payload: { clientMsgId: 'root-1', type: 'text', content: 'release on Friday?' } })
  t.equal(root.statusCode, 201)
  const a = await signedInPage(world, alice)
  const b = await signedInPage(world, bob)
  await openChat(a.page, 'Thread club')
  await openChat(b.page, 'Thread club')

  // Bob opens the thread (side panel beside the chat) and replies
  await message(b.page, 'release on Friday?').hover()
  await message(b.page, 'release on Friday?').locator(id('thread-link')).click()
  await b.page.locator(id('thread-panel')).waitFor({ timeout: WAIT })
  await b.page.locator(id('thread-empty')).waitFor({ timeout: WAIT })
  const chatBox = await b.page.locator(id('chat')).boundingBox()
  const panelBox = await b.page.locator(id('thread-panel')).boundingBox()
  t.ok(chatBox !== null && panelBox !== null && panelBox.width < chatBox.width * 0.75, 'a side panel on a wide screen')
  await b.page.fill(id('thread-input'), 'yes, Friday')
  await b.page.press(id('thread-input'), 'Enter')
  await b.page.locator(id('thread-reply'), { hasText: 'yes, Friday' }).waitFor({ timeout: WAIT })
  t.equal(await b.page.locator(id('thread-follow')).getAttribute('data-following'), 'true', 'replying follows')

  // Alice sees the count and her unread badge live; the reply is not in the main timeline
  await a.page.waitForSelector(`${id('thread-link')}[data-count="1"]`, { timeout: WAIT })
  await a.page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', `${id('thread-link')} ${id('thread-unread')}`, { timeout: WAIT })
  t.equal(await message(a.page, 'yes, Friday').count(), 0, 'a thread-only reply stays out of the timeline')

  // Alice goes offline; Bob replies twice, the second also to the chat
  await a.ctx.setOffline(true)
  await a.page.waitForSelector(`${id('conn-status')}[data-status="offline"]`, { timeout: WAIT })
  await b.page.fill(id('thread-input'), 'after the tests pass')
  await b.page.press(id('thread-input'), 'Enter')
  await b.page.check(id('thread-also-in-chat'))
  await b.page.fill(id('thread-input'), 'and the changelog')
  await b.page.click(id('thread-send'))
  await b.page.locator(id('thread-reply'), { hasText: 'and the changelog' }).waitFor({ timeout: WAIT })
  await message(b.page, 'and the changelog').waitFor({ timeout: WAIT })
  t.equal(await message(b.page, 'after the tests pass').count(), 0, 'only the reply also sent to the chat is in the timeline')

  // Back online: the count, the badge and the reply also sent to the chat are there
  await a.ctx.setOffline(false)
  await a.page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  await a.page.waitForSelector(`${id('thread-link')}[data-count="3"]`, { timeout: WAIT })
  await a.page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '3', `${id('thread-link')} ${id('thread-unread')}`, { timeout: WAIT })
  await message(a.page, 'and the changelog').waitFor({ timeout: WAIT })
  t.equal(await message(a.page, 'after the tests pass').count(), 0)

  // Alice opens it at mobile width: the whole view; the badge clears, the server agrees
  await a.page.setViewportSize({ width: 390, height: 760 })
  const read = a.page.waitForResponse((r) => r.url().endsWith('/read') && r.url().includes('/threads/') && r.status() === 200, { timeout: WAIT })
  await link(a.page).click()
  await a.page.locator(id('thread-reply')).nth(2).waitFor({ timeout: WAIT })
  t.same(await a.page.locator(`${id('thread-reply')} .bubble`).allTextContents(),
    ['yes, Friday', 'after the tests pass', 'and the changelog'], 'the replies, oldest first')
  const box = await a.page.locator(id('thread-panel')).boundingBox()
  t.ok(box !== null && box.width >= 380 && box.x <= 1, 'a full view at mobile width')
  await a.page.waitForFunction((sel) => (document.querySelector(sel) as HTMLElement | null)?.hidden === true, `${id('thread-link')} ${id('thread-unread')}`, { timeout: WAIT })
  const rootId = root.json().id as string
  await read
  t.equal((await app.inject({ url: `/api/conversations/${conversationId}/threads/${rootId}`, headers: alice.auth })).json().unread, 0, 'opening the thread read it')
  // Inside the panel each reply has the chat's menu: react, then delete for me (phone width still)
  const reply = a.page.locator(id('thread-reply'), { hasText: 'yes, Friday' })
  await reply.locator(id('thread-message')).hover()
  await reply.locator(id('message-menu')).click()
  await reply.locator(id('emoji-option')).first().click()
  await reply.locator(id('reaction')).first().waitFor({ timeout: WAIT })
  await reply.locator(id('thread-message')).hover()
  await reply.locator(id('message-menu')).click()
  await reply.locator(id('action-delete-for-me')).click()
  await a.page.click(id('confirm-ok'))
  await reply.waitFor({ state: 'detached', timeout: WAIT })
  t.equal(await a.page.locator(id('thread-reply')).count(), 2, 'deleted for me: gone from the panel')
  t.equal(await a.page.locator(`${id('thread-panel')} ${id('message')}`).count(), 0, 'panel rows are not timeline rows')
  // Editing my own reply happens in the thread's composer
  await a.page.fill(id('thread-input'), 'noted')
  await a.page.press(id('thread-input'), 'Enter')
  const mine = a.page.locator(id('thread-reply'), { hasText: 'noted' })
  await mine.waitFor({ timeout: WAIT })
  await mine.locator(id('thread-message')).hover()
  await mine.locator(id('message-menu')).click()
  await mine.locator(id('action-edit')).click()
  t.equal(await a.page.inputValue(id('thread-input')), 'noted', 'the reply\'s text is in the thread composer')
  await a.page.fill(id('thread-input'), 'noted, thanks')
  await a.page.press(id('thread-input'), 'Enter')
  await a.page.locator(id('thread-reply'), { hasText: 'noted, thanks' }).locator(id('edited-mark')).waitFor({ timeout: WAIT })
  const menuBox = await a.page.locator(id('thread-panel')).boundingBox()
  t.ok(menuBox !== null && menuBox.width <= 390, 'the panel still fits the phone width')
  await a.page.click(id('thread-close'))
  await a.page.locator(id('thread-panel')).waitFor({ state: 'detached', timeout: WAIT })

  // The conversation's threads from the header: Bob (wide, his panel closed) has Alice's next reply unread; Alice (390 px) has read all
  await b.page.click(id('thread-close'))
  await b.page.locator(id('thread-panel')).waitFor({ state: 'detached', timeout: WAIT })
  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: alice.auth, payload: { clientMsgId: 'late-1', type: 'text', content: 'one more thing', threadRootId: rootId } })).statusCode, 201)
  await b.page.click(id('chat-threads'))
  const item = b.page.locator(id('thread-item'), { hasText: 'release on Friday?' })
  await item.locator(id('thread-item-unread')).waitFor({ timeout: WAIT })
  t.equal(await item.locator(id('thread-item-unread')).textContent(), '1', 'the unread badge in the list')
  await item.click()
  await b.page.locator(id('thread-reply'), { hasText: 'one more thing' }).waitFor({ timeout: WAIT })
  await a.page.click(id('chat-threads'))
  await a.page.locator(id('thread-item')).first().waitFor({ timeout: WAIT })
  t.equal(await a.page.locator(id('thread-item-unread')).count(), 0, 'nothing unread for Alice')
  const listBox = await a.page.locator(id('thread-list')).boundingBox()
  t.ok(listBox !== null && listBox.width <= 390 && listBox.x <= 1, 'the list is the whole view at phone width')
  const head = await a.page.locator('.chat-head').evaluate((e) => e.scrollWidth <= e.clientWidth + 1)
  t.ok(head, 'the header with its Threads button fits 390 px')
  await a.page.click(id('thread-list-close'))
  await a.page.locator(id('thread-list')).waitFor({ state: 'detached', timeout: WAIT })
  t.same(errors, [], 'no console errors')
})
