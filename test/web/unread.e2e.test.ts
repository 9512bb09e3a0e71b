// suite: default only — the page's own behaviour; the services suite runs the server paths
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { App } from '../../src/app.js'
import type { TestUser } from '../helper.js'
import { openChat, signedInPage, aliceAndBob, WAIT, id } from './fixtures.js'

/**
 * Help with unread messages: the tab title counts them, an "Unread messages" line opens the
 * chat, "N new messages ↓" shows while scrolled up, and the Archived entry shows its unread
 * count and mentions.
 */
// ~60 s on a loaded 2-core machine (one page world, a few dozen messages): 60 s was too tight there.
t.setTimeout(120_000)

async function say (app: App, u: TestUser, conversationId: string, content: string, mentions?: string[]): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: u.auth, payload: { type: 'text', content, clientMsgId: randomUUID(), ...(mentions !== undefined ? { mentions } : {}) } })
  if (res.statusCode !== 201) throw new Error(res.body)
}

t.test('tab title, unread line, new messages button, archived counts', async (t) => {
  const { world, app, alice, bob, direct } = await aliceAndBob(t)
  const crew = (await app.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name: 'Crew', memberIds: [bob.id] } })).json().id as string
  for (let i = 1; i <= 25; i++) await say(app, alice, direct, `old ${i}`)
  for (let i = 1; i <= 3; i++) await say(app, bob, direct, `new ${i}`)
  // An archived, muted group (a new message leaves it archived) where Bob mentions Alice.
  const s = await app.inject({ method: 'PATCH', url: `/api/conversations/${crew}/settings`, headers: alice.auth, payload: { archived: true, mutedUntil: new Date(Date.now() + 3_600_000).toISOString() } })
  t.equal(s.statusCode, 200, 'archived and muted')
  await say(app, bob, crew, 'hey @Alice', [alice.id])
  await say(app, bob, crew, 'are you there')

  const { page } = await signedInPage(world, alice, () => {}, { locale: 'en-US' })
  await page.waitForFunction(() => document.title === '(3) Relay', undefined, { timeout: WAIT })
  t.pass('the tab title counts unread messages of the chats not muted')
  t.equal(await page.textContent(`${id('archived-toggle')} ${id('archived-unread')}`), '2', 'the archive shows its unread count')
  t.equal(await page.locator(`${id('archived-toggle')} ${id('archived-mentions')}`).count(), 1, 'and that I was mentioned there')

  await openChat(page, 'Bob Builder')
  await page.waitForSelector(id('unread-line'), { timeout: WAIT })
  const before = await page.evaluate(() => {
    const line = document.querySelector('[data-testid="unread-line"]')
    const next = line?.nextElementSibling as HTMLElement | null
    return next?.querySelector('[data-testid="message-text"]')?.textContent
  })
  t.equal(before, 'new 1', 'the line is right before the first unread message')
  await page.waitForFunction(() => document.title === 'Relay', undefined, { timeout: WAIT })
  t.pass('read: the title count goes')

  await page.evaluate(() => { const list = document.querySelector('[data-testid="messages"]')!; list.scrollTop = 0; list.dispatchEvent(new Event('scroll')) })
  await say(app, bob, direct, 'while scrolled up 1')
  await say(app, bob, direct, 'while scrolled up 2')
  await page.waitForSelector(`${id('new-messages')}[data-count="2"]:visible`, { timeout: WAIT })
  t.equal(await page.textContent(id('new-messages')), '2 new messages ↓')
  await page.click(id('new-messages'))
  await page.waitForSelector(id('new-messages'), { state: 'hidden', timeout: WAIT })
  t.ok(await page.evaluate(() => { const l = document.querySelector('[data-testid="messages"]')!; return l.scrollHeight - l.scrollTop - l.clientHeight < 80 }), 'the button goes down to the newest')
  t.same(world.errors, [], 'no page errors')
})
