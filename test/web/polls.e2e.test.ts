// suite: default only — the browser page; the server paths it drives run on both engines in test/modules
import t from 'tap'
import type { Page } from 'playwright-core'
import { namedUser, openChat, pageWorld, signedInPage, WAIT, id } from './fixtures.js'

/** A poll in real Chromium, two browser contexts: Alice creates, Bob votes and changes, Alice sees it live and closes. */
t.setTimeout(240_000)

const counts = async (page: Page): Promise<string[]> =>
  (await page.locator(`${id('message-poll')} ${id('poll-count')}`).allTextContents()).map((s) => s.trim())

async function waitForCounts (page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction(({ sel, want }) => {
    const got = Array.from(document.querySelectorAll(sel)).map((e) => (e.textContent ?? '').trim())
    return JSON.stringify(got) === JSON.stringify(want)
  }, { sel: `${id('message-poll')} ${id('poll-count')}`, want: expected }, { timeout: WAIT })
}

t.test('create a poll, vote, see the count change live, change the vote, close it', async (t) => {
  const world = await pageWorld(t, { consoleErrors: true })
  const { app, errors } = world
  const alice = await namedUser(app, 'Alice Liddell')
  const bob = await namedUser(app, 'Bob Builder')
  const g = await app.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name: 'Lunch club', memberIds: [bob.id] } })
  t.equal(g.statusCode, 201)
  const a = await signedInPage(world, alice)
  const b = await signedInPage(world, bob)
  await openChat(a.page, 'Lunch club')
  await openChat(b.page, 'Lunch club')

  // Alice: the composer's poll form, with a third option added
  await a.page.click(id('poll-new'))
  await a.page.fill(id('poll-question-input'), 'Where do we eat?')
  await a.page.click(id('poll-option-add'))
  const options = a.page.locator(id('poll-option-input'))
  t.equal(await options.count(), 3)
  await options.nth(0).fill('Pizza')
  await options.nth(1).fill('Sushi')
  await options.nth(2).fill('Salad')
  await a.page.click(id('poll-send'))
  await a.page.locator(id('message-poll')).waitFor({ timeout: WAIT })
  await b.page.locator(id('message-poll')).waitFor({ timeout: WAIT })
  t.equal(await b.page.locator(id('poll-question')).textContent(), 'Where do we eat?')
  t.same(await counts(b.page), ['0', '0', '0'])
  t.equal(await b.page.locator(id('poll-close')).count(), 0, 'a plain member cannot close Alice\'s poll')

  // Bob votes; Alice sees it live, with his name (a public poll)
  await b.page.locator(id('poll-vote')).nth(1).click()
  await waitForCounts(a.page, ['0', '1', '0'])
  t.match(await a.page.locator(id('poll-voters')).first().textContent(), /Bob Builder/)

  // Bob changes his vote
  await waitForCounts(b.page, ['0', '1', '0'])
  await b.page.locator(id('poll-vote')).nth(2).click()
  await waitForCounts(a.page, ['0', '0', '1'])

  // Alice closes; Bob can no longer vote
  await a.page.click(id('poll-close'))
  await b.page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('Closed') === true, `${id('message-poll')} ${id('poll-state')}`, { timeout: WAIT })
  t.ok(await b.page.locator(id('poll-vote')).nth(0).isDisabled(), 'the options are disabled once closed')
  const conversationId = g.json().id as string
  const history = await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages`, headers: bob.auth })
  const poll = history.json().messages.find((m: any) => m.type === 'poll')
  const vote = await app.inject({ method: 'PUT', url: `/api/messages/${poll.id as string}/poll/vote`, headers: bob.auth, payload: { optionIndexes: [0] } })
  t.equal(vote.json().error.code, 'CONFLICT', 'the server refuses a vote on a closed poll')
  t.same(await counts(a.page), ['0', '0', '1'])
  t.same(errors, [], 'no console errors')
})
