// suite: default only — the page's own behaviour; the services suite runs the server paths
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Page } from 'playwright-core'
import { openChat, signedInPage, aliceAndBob, WAIT, id } from './fixtures.js'

/**
 * The main screens in Simplified Chinese (a zh-CN browser): sign-in and sign-up, the chat list,
 * a chat with its menu, contacts; no English word is left in what they show (text, placeholders,
 * labels, titles) beyond people's names and messages. The switch is remembered across a reload.
 * Also index.html's text before the script runs, the service worker's notification and the
 * mention picker. About 90 s under load: two page worlds, a dozen page loads.
 */
t.setTimeout(180_000)

/** Latin words on screen that are not the brand, people's names or message content. */
async function englishLeft (page: Page, allowed: string[]): Promise<string[]> {
  return await page.evaluate((allowed) => {
    const skip = (el: Element | null): boolean => el?.closest('[data-testid="message-text"], [data-testid="reply-quote"], .conv-title, .conv-preview, .chat-title, .me, .sender, .avatar, option, .brand, h1') !== null
    const found: string[] = []
    const check = (text: string | null): void => {
      let rest = text ?? ''
      for (const a of allowed) rest = rest.split(a).join(' ')
      for (const w of rest.match(/[A-Za-z]{2,}/g) ?? []) found.push(w)
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
      const el = n.parentElement
      if (el === null || skip(el) || el.closest('[hidden]') !== null || el.offsetParent === null) continue
      check(n.textContent)
    }
    for (const el of Array.from(document.querySelectorAll('[placeholder], [aria-label], [title]'))) {
      if (skip(el) || (el as HTMLElement).offsetParent === null) continue
      for (const attr of ['placeholder', 'aria-label', 'title']) check(el.getAttribute(attr))
    }
    return found
  }, allowed)
}

t.test('the main screens in zh-CN have no English left', async (t) => {
  const { world, app, alice, bob, direct } = await aliceAndBob(t)
  for (const content of ['你好 Alice', '今天开会吗？']) {
    await app.inject({ method: 'POST', url: `/api/conversations/${direct}/messages`, headers: bob.auth, payload: { type: 'text', content, clientMsgId: randomUUID() } })
  }
  const names = ['Alice Liddell', 'Bob Builder', 'Alice', 'Bob', 'Relay', alice.username, bob.username]

  // ---- sign-in and sign-up
  const { page: auth } = await world.openPage({ locale: 'zh-CN' })
  await auth.goto(world.url)
  await auth.waitForSelector(id('auth-form'))
  t.equal(await auth.evaluate(() => document.documentElement.lang), 'zh-CN', '<html lang> follows the browser')
  t.same(await englishLeft(auth, names), [], 'sign-in')
  await auth.click(id('auth-toggle'))
  t.same(await englishLeft(auth, names), [], 'sign-up')
  await auth.fill(id('auth-username'), '王小明')
  await auth.fill(id('auth-password'), 'correct horse battery')
  await auth.click(id('auth-submit'))
  await auth.waitForSelector(`${id('auth-error')}:not(:empty)`, { timeout: WAIT })
  t.match(await auth.textContent(id('auth-error')), /用户名不符合要求/, 'the error is a Chinese sentence')

  // ---- chats, a chat and its menu, contacts
  const { page } = await signedInPage(world, alice, () => {}, { locale: 'zh-CN' })
  t.same(await englishLeft(page, names), [], 'the chat list')
  await openChat(page, 'Bob Builder')
  await page.waitForSelector(`${id('message')}:has-text("今天开会吗")`, { timeout: WAIT })
  await page.fill(id('composer-input'), '好的')
  await page.press(id('composer-input'), 'Enter')
  await page.waitForSelector(`${id('message')}[data-mine="true"]:has-text("好的")`, { timeout: WAIT })
  t.same(await englishLeft(page, names), [], 'a chat')
  const row = page.locator(id('message')).first()
  await row.hover()
  await row.locator(id('message-menu')).click()
  t.same(await englishLeft(page, names), [], 'a message menu')
  t.equal(await page.textContent(`${id('history-top')}`), '会话的开始')
  await page.mouse.click(5, 5)
  await page.click(id('tab-contacts'))
  t.same(await englishLeft(page, names), [], 'contacts')

  // ---- the switch: English, remembered after a reload
  await page.selectOption(id('lang-switch'), 'en')
  await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  t.equal(await page.evaluate(() => document.documentElement.lang), 'en')
  t.equal(await page.textContent(id('tab-chats')), 'Chats')
  await page.reload()
  await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  t.equal(await page.textContent(id('tab-chats')), 'Chats', 'the choice is remembered')
  t.same(world.errors, [], 'no page errors')
})

t.test('zh-CN also before the script runs, in the service worker\'s notification and in the mention picker', async (t) => {
  const { world, app, alice, bob } = await aliceAndBob(t)
  const names = ['Alice Liddell', 'Bob Builder', 'Alice', 'Bob', 'Relay', alice.username, bob.username]

  // ---- index.html's own text, while app.js has not run (here: never arrives)
  for (const [locale, text] of [['zh-CN', '加载中…'], ['en-US', 'Loading…']] as const) {
    const { page } = await world.openPage({ locale })
    await page.route('**/app.js', async (route) => { await route.abort() })
    await page.goto(world.url)
    const boot = page.locator(id('boot'))
    t.equal((await boot.innerText()).trim(), text, `${locale}: the boot text in the browser's language only`)
    if (locale === 'zh-CN') t.same(await englishLeft(page, names), [], 'no English before the script runs')
  }

  // ---- the service worker: a push without preview, in a Chinese browser
  const { context, page } = await world.openPage({ locale: 'zh-CN' })
  await context.grantPermissions(['notifications'], { origin: world.url })
  await page.goto(world.url)
  await page.evaluate(async () => { await navigator.serviceWorker.register('/sw.js'); await navigator.serviceWorker.ready })
  const worker = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker', { timeout: WAIT })
  // As a string: the test's compiler would name the functions below with a helper the worker
  // lacks. What the worker asks to show is recorded (reading getNotifications() while one is
  // being shown can lose it: test/web/notifications.e2e.test.ts).
  const body = await worker.evaluate(`(async () => {
    const shown = new Promise((resolve) => {
      const show = self.registration.showNotification.bind(self.registration)
      self.registration.showNotification = async (title, options) => { resolve(options.body); await show(title, options) }
    })
    // A push the way the browser hands it over (waitUntil refuses an event made here; the notification is asked for before it).
    const event = Object.assign(new Event('push'), { data: { json () { return {} }, text () { return '{}' } }, waitUntil () {} })
    self.dispatchEvent(event)
    return await shown
  })()`)
  t.equal(body, '新消息', 'a push without preview says "new message" in Chinese')

  // ---- the mention picker's "all", for the group's owner
  const g = await app.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name: 'Crew', memberIds: [bob.id] } })
  t.equal(g.statusCode, 201)
  const { page: chat } = await signedInPage(world, alice, () => {}, { locale: 'zh-CN' })
  await openChat(chat, 'Crew')
  await chat.fill(id('composer-input'), '@')
  await chat.waitForSelector(`${id('mention-picker')}:not([hidden])`, { timeout: WAIT })
  t.same(await chat.locator(id('mention-option')).allInnerTexts(), ['@Bob Builder', '@所有人'], 'everyone, in Chinese')
  t.same(await englishLeft(chat, names), [], 'the picker has no English')
  await chat.click(`${id('mention-option')}[data-user-id="all"]`)
  t.equal(await chat.inputValue(id('composer-input')), '@所有人 ')
  await chat.type(id('composer-input'), '开会')
  await chat.press(id('composer-input'), 'Enter')
  await chat.waitForSelector(`${id('message')}[data-mine="true"]:has-text("开会")`, { timeout: WAIT })
  const last = (await app.inject({ url: `/api/conversations/${g.json().id as string}/messages?limit=1`, headers: bob.auth })).json()
  t.same((last.messages ?? last)[0]?.mentions, ['all'], 'still the mention of everyone')
  t.same(world.errors, [], 'no page errors')
})
