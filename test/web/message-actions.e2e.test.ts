// suite: default only — the browser page; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { namedUser, openChat, ROOT, signedInPage, WAIT, id, aliceAndBob } from './fixtures.js'

/**
 * Messages that change, in real Chromium: mention, reply, reactions, edit (Up key and menu),
 * pin, forward, delete for me, and a second device of Bob's that was offline during an edit,
 * a reaction and a recall and shows all three once back.
 */
t.setTimeout(240_000)

const SHOTS = join(ROOT, 'test-results')

function message (page: Page, text: string): Locator {
  return page.locator(id('message'), { has: page.locator(id('message-text'), { hasText: text }) }).last()
}

async function send (page: Page, text: string): Promise<void> {
  await page.fill(id('composer-input'), text)
  await page.press(id('composer-input'), 'Enter')
  await message(page, text).waitFor({ timeout: WAIT })
}

/** Opens a message's "⋯" menu and clicks one of its entries. */
async function menu (row: Locator, action: string): Promise<void> {
  await row.hover()
  await row.locator(id('message-menu')).click()
  await row.locator(id(action)).first().click()
}

t.test('edit, reply, mention, react, pin, forward and delete for me through the page; an offline device catches up', async (t) => {
  mkdirSync(SHOTS, { recursive: true })
  const { world, app, alice, bob } = await aliceAndBob(t, { consoleErrors: true })
  const { errors } = world
  const carol = await namedUser(app, 'Carol Danvers')
  const g = await app.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name: 'Crew', memberIds: [bob.id, carol.id] } })
  t.equal(g.statusCode, 201)

  const a = await signedInPage(world, alice)
  const b = await signedInPage(world, bob)
  const b2 = await signedInPage(world, bob)
  await openChat(a.page, 'Crew')

  // ---- mention: the picker in a group, and Bob's copy is highlighted
  await a.page.fill(id('composer-input'), 'hey @Bo')
  await a.page.waitForSelector(`${id('mention-picker')}:not([hidden])`, { timeout: WAIT })
  t.equal(await a.page.locator(id('mention-option')).count(), 1, 'only members whose name starts so')
  await a.page.click(`${id('mention-option')}[data-user-id="${bob.id}"]`)
  t.equal(await a.page.inputValue(id('composer-input')), 'hey @Bob Builder ')
  await a.page.type(id('composer-input'), 'welcome')
  await a.page.press(id('composer-input'), 'Enter')
  // Neither of Bob's devices has the group open: the list marks the mention.
  await b.page.waitForSelector(`${id('conversation')}[data-title="Crew"] ${id('mention-badge')}`, { timeout: WAIT })
  await b2.page.waitForSelector(`${id('conversation')}[data-title="Crew"] ${id('mention-badge')}`, { timeout: WAIT })
  await Promise.all([openChat(b.page, 'Crew'), openChat(b2.page, 'Crew')])
  await b.page.waitForSelector(`${id('conversation')}[data-title="Crew"] ${id('mention-badge')}`, { state: 'detached', timeout: WAIT })
  t.pass('the mention badge in the list until the chat is read')
  const mentionForBob = message(b.page, 'hey @Bob Builder welcome')
  await mentionForBob.waitFor({ timeout: WAIT })
  t.equal(await mentionForBob.getAttribute('data-mentions-me'), 'true', 'highlighted for Bob')
  t.equal(await message(a.page, 'hey @Bob Builder welcome').getAttribute('data-mentions-me'), 'false', 'not for the sender')

  // ---- reply with a quoted preview
  await menu(mentionForBob, 'action-reply')
  t.match(await b.page.textContent(id('reply-preview')), /Replying to Alice Liddell.*hey @Bob Builder welcome/)
  await b.page.fill(id('composer-input'), 'thanks!')
  await b.page.screenshot({ path: join(SHOTS, 'message-actions-reply.png') })
  await send(b.page, 'thanks!')
  const replyForAlice = message(a.page, 'thanks!')
  await replyForAlice.waitFor({ timeout: WAIT })
  t.match(await replyForAlice.locator(id('reply-quote')).textContent(), /Alice Liddell|You/)
  t.match(await replyForAlice.locator(id('reply-quote')).textContent(), /hey @Bob Builder welcome/, 'the quote without another request')
  t.equal(await b.page.locator(id('reply-preview')).count(), 0, 'the reply bar is gone after sending')

  // ---- reactions: the picker, counts, toggling by a click on a chip
  await menu(message(b.page, 'hey @Bob Builder welcome'), 'emoji-option')
  const chipForAlice = message(a.page, 'hey @Bob Builder welcome').locator(`${id('reaction')}[data-emoji="👍"]`)
  await chipForAlice.waitFor({ timeout: WAIT })
  t.equal(await chipForAlice.getAttribute('data-count'), '1')
  await chipForAlice.click()
  await a.page.waitForSelector(`${id('reaction')}[data-emoji="👍"][data-count="2"]`, { timeout: WAIT })
  await b.page.waitForSelector(`${id('reaction')}[data-emoji="👍"][data-count="2"]`, { timeout: WAIT })
  t.equal(await a.page.locator(`${id('reaction')}[data-emoji="👍"]`).getAttribute('aria-pressed'), 'true', 'mine is marked')

  // ---- edit: the Up key edits my last text message; everyone sees it and the "edited" mark
  await a.page.click(id('composer-input'))
  await a.page.press(id('composer-input'), 'ArrowUp')
  await a.page.waitForSelector(id('edit-banner'), { timeout: WAIT })
  t.equal(await a.page.inputValue(id('composer-input')), 'hey @Bob Builder welcome')
  await a.page.fill(id('composer-input'), 'hey @Bob Builder, welcome aboard')
  await a.page.press(id('composer-input'), 'Enter')
  const editedForBob = message(b.page, 'welcome aboard')
  await editedForBob.locator(id('edited-mark')).waitFor({ timeout: WAIT })
  t.equal(await editedForBob.locator(`${id('reaction')}[data-count="2"]`).count(), 1, 'reactions kept through the edit')
  t.equal(await b.page.locator(id('message-text'), { hasText: 'welcome' }).count(), 1, 'one row, edited in place')

  // ---- pin: owner only in groups; the pinned bar on every member's page
  await menu(message(a.page, 'welcome aboard'), 'action-pin')
  await b.page.waitForSelector(`${id('pinned-bar')}:not([hidden])`, { timeout: WAIT })
  t.match(await b.page.textContent(id('pinned-latest')), /welcome aboard/)
  const bobRow = message(b.page, 'thanks!')
  await bobRow.hover()
  await bobRow.locator(id('message-menu')).click()
  t.equal(await bobRow.locator(id('action-pin')).count(), 0, 'a plain member has no pin action')
  await b.page.screenshot({ path: join(SHOTS, 'message-actions-menu.png') })
  await b.page.keyboard.press('Escape')
  await b.page.mouse.click(5, 5)

  // ---- forward into the direct chat with Alice
  await menu(message(b.page, 'welcome aboard'), 'action-forward')
  await b.page.click(`${id('forward-target')}:has-text("Alice Liddell")`)
  await openChat(a.page, 'Bob Builder')
  const forwarded = message(a.page, 'welcome aboard')
  await forwarded.waitFor({ timeout: WAIT })
  t.match(await forwarded.locator(id('forwarded-from')).textContent(), /Forwarded from Alice Liddell/)
  await openChat(a.page, 'Crew')

  // ---- delete for me: gone from both of Bob's devices, still there for Alice
  await menu(message(b.page, 'thanks!'), 'action-delete-for-me')
  await b.page.click(id('confirm-ok'))
  await message(b.page, 'thanks!').waitFor({ state: 'detached', timeout: WAIT })
  await message(b2.page, 'thanks!').waitFor({ state: 'detached', timeout: WAIT })
  t.equal(await message(a.page, 'thanks!').count(), 1, 'Alice still has it')

  // ---- Bob's second device goes offline; Alice edits, reacts and recalls meanwhile
  for (const text of ['first of three', 'second of three', 'third of three']) await send(a.page, text)
  await message(b2.page, 'third of three').waitFor({ timeout: WAIT })
  await b2.ctx.setOffline(true)
  await b2.page.waitForSelector(`${id('conn-status')}[data-status="offline"]`, { timeout: WAIT })
  await menu(message(a.page, 'first of three'), 'action-edit')
  await a.page.fill(id('composer-input'), 'first of three, edited')
  await a.page.press(id('composer-input'), 'Enter')
  await menu(message(a.page, 'second of three'), 'emoji-option')
  const third = message(a.page, 'third of three')
  await third.hover()
  await third.locator(id('recall')).click()
  await a.page.click(id('confirm-ok'))
  // The online device shows them live; the offline one does not.
  await message(b.page, 'first of three, edited').waitFor({ timeout: WAIT })
  await message(b.page, 'second of three').locator(id('reaction')).waitFor({ timeout: WAIT })
  await b.page.waitForSelector(`${id('message')}:has(${id('message-recalled')})`, { timeout: WAIT })
  t.equal(await message(b2.page, 'first of three, edited').count(), 0, 'nothing reached the offline device')
  t.equal(await message(b2.page, 'third of three').count(), 1)
  await b2.ctx.setOffline(false)
  await b2.page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  await message(b2.page, 'first of three, edited').locator(id('edited-mark')).waitFor({ timeout: WAIT })
  await message(b2.page, 'second of three').locator(`${id('reaction')}[data-emoji="👍"][data-count="1"]`).waitFor({ timeout: WAIT })
  await message(b2.page, 'third of three').waitFor({ state: 'detached', timeout: WAIT })
  t.equal(await b2.page.locator(id('message-recalled')).count(), 1, 'the recall shows')
  t.pass('the device that was offline shows the edit, the reaction and the recall')

  await a.page.screenshot({ path: join(SHOTS, 'message-actions-alice.png') })
  await b.page.screenshot({ path: join(SHOTS, 'message-actions-bob.png') })
  await b2.page.screenshot({ path: join(SHOTS, 'message-actions-bob-second-device.png') })
  t.same(errors, [], 'no page errors')
})
