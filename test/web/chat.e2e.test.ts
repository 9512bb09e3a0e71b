// suite: default only — the browser page; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Page } from 'playwright-core'
import { gradientPng, pageWorld, ROOT, WAIT, id } from './fixtures.js'

/**
 * The chat page in real Chromium: two people in two browser contexts register, become
 * friends through the UI, chat both ways (text, typing, ticks, presence, an image, a
 * recall), scroll back through history after a reload, and catch up after going offline.
 */
// A real browser on a shared 2-core machine: ~35 s alone, more next to other test files.
t.setTimeout(240_000)

const SHOTS = join(ROOT, 'test-results')

async function signUp (page: Page, url: string, username: string, displayName: string): Promise<void> {
  await page.goto(url)
  await page.click(id('auth-toggle'))
  await page.fill(id('auth-username'), username)
  await page.fill(id('auth-password'), 'correct horse battery')
  await page.fill(id('auth-displayname'), displayName)
  await page.click(id('auth-submit'))
  await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
}

const lastText = async (page: Page): Promise<string | null> =>
  await page.locator(`${id('message')} ${id('message-text')}`).last().textContent()

/** Waits until a message with this text is on the page; returns its row. */
async function waitForMessage (page: Page, text: string) {
  const row = page.locator(id('message'), { has: page.locator(id('message-text'), { hasText: text }) }).last()
  await row.waitFor({ timeout: WAIT })
  return row
}

async function send (page: Page, text: string): Promise<void> {
  await page.fill(id('composer-input'), text)
  await page.press(id('composer-input'), 'Enter')
}

t.test('two people chat through the page', async (t) => {
  const started = Date.now()
  const phase = (name: string): void => { t.comment(`${name}: ${Date.now() - started} ms`) }
  mkdirSync(SHOTS, { recursive: true })
  // The first register pays for lazy start-up work (seconds on a busy machine): do it while Chromium starts.
  const { app, url, errors, openPage } = await pageWorld(t, { warmUp: true, consoleErrors: true })
  phase('server and browser up')
  const viewport = { width: 1000, height: 700 }
  const { context: ctxA, page: alice } = await openPage({ viewport })
  const { page: bob } = await openPage({ viewport })

  const tag = randomUUID().slice(0, 6)
  const aliceName = `alice_${tag}`
  const bobName = `bob_${tag}`
  await Promise.all([signUp(alice, url, aliceName, 'Alice Liddell'), signUp(bob, url, bobName, 'Bob Builder')])
  t.equal(await alice.textContent(id('me')), 'Alice Liddell')

  phase('friends')
  // ---- friends: Alice finds Bob and asks; Bob accepts
  await alice.click(id('tab-contacts'))
  await alice.fill(id('user-search'), bobName)
  await alice.click(`${id('search-result')}[data-username="${bobName}"] ${id('add-friend')}`)
  await alice.waitForSelector(`${id('outgoing-request')}[data-username="${bobName}"]`, { timeout: WAIT })

  await bob.waitForSelector(`${id('requests-badge')}:not([hidden])`, { timeout: WAIT })
  await bob.click(id('tab-contacts'))
  await bob.click(`${id('incoming-request')}[data-username="${aliceName}"] ${id('accept-request')}`)
  const aliceForBob = `${id('friend')}[data-username="${aliceName}"]`
  await bob.waitForSelector(`${aliceForBob} ${id('presence-dot')}[data-online="true"]`, { timeout: WAIT })
  await alice.waitForSelector(`${id('friend')}[data-username="${bobName}"] ${id('presence-dot')}[data-online="true"]`, { timeout: WAIT })
  t.pass('friends, and each sees the other online')

  phase('Bob writes first')
  // ---- Bob writes first; Alice sees an unread badge, opens the chat, and Bob sees it read
  await bob.click(aliceForBob)
  await bob.waitForSelector(id('chat'), { timeout: WAIT })
  t.equal(await bob.textContent(id('chat-subtitle')), 'online', 'presence in the chat header')
  await send(bob, 'Hi Alice, it is Bob')
  const bobFirst = await waitForMessage(bob, 'Hi Alice, it is Bob')

  await alice.click(id('tab-chats'))
  const conversation = alice.locator(id('conversation'), { hasText: 'Bob Builder' })
  await conversation.locator(id('unread-badge')).waitFor({ timeout: WAIT })
  t.equal(await conversation.locator(id('unread-badge')).textContent(), '1', 'unread badge')
  t.equal(await conversation.locator(`${id('presence-dot')}[data-online="true"]`).count(), 1, 'presence dot in the list')
  await bobFirst.locator(`${id('ticks')}[data-state="delivered"]`).waitFor({ timeout: WAIT })
  t.pass('delivered tick once Alice\'s page got it')

  await conversation.click()
  await waitForMessage(alice, 'Hi Alice, it is Bob')
  await bobFirst.locator(`${id('ticks')}[data-state="read"]`).waitFor({ timeout: WAIT })
  t.pass('read tick once Alice opened the chat')
  t.equal(await conversation.locator(id('unread-badge')).count(), 0, 'badge gone once read')

  phase('typing, then Alice answers')
  // ---- typing, then Alice answers
  await alice.fill(id('composer-input'), 'typing somethi')
  await alice.type(id('composer-input'), 'ng')
  await bob.waitForSelector(`${id('typing-indicator')}:has-text("Alice Liddell is typing")`, { timeout: WAIT })
  await alice.press(id('composer-input'), 'Enter')
  await waitForMessage(bob, 'typing something')
  await bob.waitForFunction((sel) => document.querySelector(sel)?.textContent === '', id('typing-indicator'), { timeout: WAIT })
  t.pass('typing shown while Alice types, gone when she sends')
  const aliceReply = await waitForMessage(alice, 'typing something')
  await aliceReply.locator(`${id('ticks')}[data-state="read"]`).waitFor({ timeout: WAIT })
  t.pass('Bob has the chat open, so Alice\'s message shows read')

  phase('an image')
  // ---- an image: uploaded, sent, and shown to Bob (the <img> loads through a signed URL)
  await alice.setInputFiles(id('file-input'), { name: 'gradient.png', mimeType: 'image/png', buffer: gradientPng(160, 100) })
  const image = bob.locator(id('message-image')).last()
  await image.waitFor({ timeout: WAIT })
  await bob.waitForFunction((sel) => {
    const imgs = document.querySelectorAll<HTMLImageElement>(sel)
    const img = imgs[imgs.length - 1]
    return img !== undefined && img.complete && img.naturalWidth === 160
  }, id('message-image'), { timeout: WAIT })
  t.pass('image uploaded by Alice is displayed on Bob\'s page')

  phase('a file')
  // ---- a file: Bob sends a PDF, Alice gets a download link with its name
  await bob.setInputFiles(id('file-input'), { name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% tiny test file\n') })
  const link = alice.locator(id('message-file'), { hasText: 'notes.pdf' }).last()
  await link.waitFor({ timeout: WAIT })
  await alice.waitForFunction((sel) => Array.from(document.querySelectorAll(sel)).some((a) => (a.getAttribute('href') ?? '').includes('&sig=')), id('message-file'), { timeout: WAIT })
  t.match(await link.getAttribute('href'), /^\/api\/uploads\/[0-9a-f-]{36}\?user=[0-9a-f-]{36}&expires=\d+&sig=[\w-]+$/, 'a signed URL, no token')

  phase('recall')
  // ---- recall
  await send(bob, 'oops, wrong chat')
  const oops = await waitForMessage(bob, 'oops, wrong chat')
  const oopsSeq = await oops.getAttribute('data-seq')
  await waitForMessage(alice, 'oops, wrong chat')
  await oops.locator(id('recall')).click({ force: true })
  await bob.click(id('confirm-ok'))
  await alice.waitForSelector(`${id('message')}[data-seq="${oopsSeq ?? ''}"] ${id('message-recalled')}`, { timeout: WAIT })
  t.pass('recalled on both sides')
  await bob.screenshot({ path: join(SHOTS, 'chat-bob-media.png') })

  phase('history')
  // ---- history: 40 more messages, then Bob reloads and scrolls back to the start
  const tokens = JSON.parse(await alice.evaluate(() => localStorage.getItem('relay.tokens') ?? '{}'))
  const conversationId = await bob.getAttribute(id('chat'), 'data-conversation-id')
  for (let i = 1; i <= 40; i++) {
    const res = await app.inject({
      method: 'POST',
      url: `/api/conversations/${conversationId ?? ''}/messages`,
      headers: { authorization: `Bearer ${tokens.accessToken as string}` },
      payload: { clientMsgId: randomUUID(), type: 'text', content: `history ${i}` }
    })
    if (res.statusCode !== 201) throw new Error(res.body)
  }
  await waitForMessage(bob, 'history 40')
  await bob.reload()
  await bob.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  await waitForMessage(bob, 'history 40')
  const shownAfterReload = await bob.locator(id('message')).count()
  t.ok(shownAfterReload < 45, `a first page only after the reload (${shownAfterReload} shown)`)
  t.equal(await lastText(bob), 'history 40', 'the newest message at the bottom')
  for (let i = 0; i < 10 && await bob.textContent(id('history-top')) !== 'Beginning of the conversation'; i++) {
    await bob.locator(id('messages')).evaluate((el) => { el.scrollTop = 0 })
    await bob.waitForTimeout(300)
  }
  t.equal(await bob.textContent(id('history-top')), 'Beginning of the conversation')
  t.equal(await bob.locator(id('message')).count(), 45, 'every message once after scrolling back (5 + 40)')
  t.equal(await bob.locator(id('message-text')).first().textContent(), 'Hi Alice, it is Bob', 'the first message on top')
  const seqs = await bob.locator(id('message')).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))))
  t.same(seqs, seqs.slice().sort((a, b) => a - b), 'in seq order')

  phase('Alice goes offline')
  // ---- Alice goes offline; Bob writes; she comes back and catches up
  await ctxA.setOffline(true)
  await alice.waitForSelector(`${id('conn-status')}[data-status="offline"]`, { timeout: WAIT })
  await bob.waitForSelector(`${id('chat-subtitle')}:has-text("last seen")`, { timeout: WAIT })
  t.pass('Bob sees Alice go offline')
  await send(bob, 'while you were away 1')
  await send(bob, 'while you were away 2')
  const away = await waitForMessage(bob, 'while you were away 2')
  await bob.waitForTimeout(300)
  t.equal(await alice.locator(id('message-text'), { hasText: 'while you were away' }).count(), 0, 'nothing reaches Alice while offline')
  t.equal(await away.locator(id('ticks')).getAttribute('data-state'), 'sent')
  await ctxA.setOffline(false)
  await alice.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  await waitForMessage(alice, 'while you were away 2')
  t.equal(await alice.locator(id('message-text'), { hasText: 'while you were away' }).count(), 2, 'both missed messages, once each')
  await away.locator(`${id('ticks')}[data-state="read"]`).waitFor({ timeout: WAIT })
  await bob.waitForSelector(`${id('chat-subtitle')}:text-is("online")`, { timeout: WAIT })
  t.pass('caught up, read, and online again')

  phase('group')
  // ---- a group: Alice creates it with Bob and writes; it shows up unread in Bob's list
  await alice.click(id('tab-chats'))
  await alice.click(id('new-group'))
  await alice.fill(id('group-name'), 'Tea party')
  await alice.check(`${id('group-member')}[data-username="${bobName}"]`)
  await alice.click(id('group-create'))
  await alice.waitForSelector(`${id('chat-title')}:text-is("Tea party")`, { timeout: WAIT })
  await send(alice, 'Welcome to the tea party')
  await waitForMessage(alice, 'Welcome to the tea party')
  await bob.click(id('tab-chats'))
  const group = bob.locator(id('conversation'), { hasText: 'Tea party' })
  await group.locator(id('unread-badge')).waitFor({ timeout: WAIT })
  t.equal(await group.locator(id('conversation-preview')).textContent(), 'Welcome to the tea party')
  await alice.click(`${id('conversation')}[data-title="Bob Builder"]`)
  await waitForMessage(alice, 'while you were away 2')

  await alice.screenshot({ path: join(SHOTS, 'chat-alice.png') })
  await bob.screenshot({ path: join(SHOTS, 'chat-bob.png') })

  phase('phone width')
  // ---- phone width: one column, the open chat fills the screen
  await bob.setViewportSize({ width: 375, height: 740 })
  t.equal(await bob.locator(id('sidebar')).isVisible(), false, 'the list is hidden behind the open chat')
  t.ok(await bob.locator(id('composer')).isVisible())
  const width = await bob.evaluate(() => document.documentElement.scrollWidth)
  t.ok(width <= 375, `no sideways scrolling (${width}px)`)
  await bob.screenshot({ path: join(SHOTS, 'chat-phone.png') })
  await bob.click(id('back'))
  t.equal(await bob.locator(id('sidebar')).isVisible(), true, 'back shows the list')
  await bob.screenshot({ path: join(SHOTS, 'chat-phone-list.png') })

  phase('done')
  t.same(errors, [], 'no errors in either page')
})
