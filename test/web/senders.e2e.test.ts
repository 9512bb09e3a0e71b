// suite: default only — the page's own behaviour; the services suite runs the server paths
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { namedUser, openChat, pageWorld, signedInPage, WAIT, id } from './fixtures.js'

/**
 * Who wrote what in a channel: sender names (once per run of messages), and the owner's header
 * counting a member who joined while the channel was open.
 */
t.setTimeout(60_000)

t.test('channel sender names, once per run; the member count follows a join', async (t) => {
  const world = await pageWorld(t)
  const { app } = world
  const alice = await namedUser(app, 'Alice Liddell')
  const bob = await namedUser(app, 'Bob Builder')
  const res = await app.inject({ method: 'POST', url: '/api/channels', headers: alice.auth, payload: { name: 'news' } })
  if (res.statusCode !== 201) throw new Error(res.body)
  const channel = res.json().id as string

  const { page } = await signedInPage(world, alice, () => {}, { locale: 'en-US' })
  await openChat(page, 'news')
  await page.waitForSelector(`${id('chat-subtitle')}:has-text("1 member")`, { timeout: WAIT })
  const join = await app.inject({ method: 'POST', url: `/api/channels/${channel}/join`, headers: bob.auth })
  t.equal(join.statusCode < 300, true, 'Bob joins')
  await page.waitForSelector(`${id('chat-subtitle')}:has-text("2 members")`, { timeout: WAIT })
  t.pass('the owner\'s header counts the new member')

  for (const text of ['first from Bob', 'second from Bob', 'third from Bob']) {
    const sent = await app.inject({ method: 'POST', url: `/api/conversations/${channel}/messages`, headers: bob.auth, payload: { type: 'text', content: text, clientMsgId: randomUUID() } })
    if (sent.statusCode !== 201) throw new Error(sent.body)
  }
  await page.waitForSelector(`${id('message')}:has-text("third from Bob")`, { timeout: WAIT })
  const names = await page.locator(`${id('message')} ${id('sender-name')}:visible`).allTextContents()
  t.same(names, ['Bob Builder'], 'the name shows once for three messages in a row')
  t.same(world.errors, [], 'no page errors')
})
