// suite: default only — the page's own behaviour; the services suite runs the server paths
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Page } from 'playwright-core'
import { openChat, signedInPage, aliceAndBob, WAIT, id } from './fixtures.js'

/**
 * The main screens in Simplified Chinese (a zh-CN browser): sign-in and sign-up, the chat list,
 * a chat with its menu, contacts; no English word is left in what they show (text, placeholders,
 * labels, titles) beyond people's names and messages. The switch is remembered across a reload.
 */
t.setTimeout(60_000)

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
