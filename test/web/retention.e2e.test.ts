// suite: default only — the browser page; the purge and the route run on both engines in test/modules/housekeeping/retention.test.ts
/**
 * Retention on the page (docs/protocol.md, "Retention"), in real Chromium: the owner sets a
 * group's policy in the settings panel, the member sees the notice and the policy (without the
 * controls), and after the purge the member's chat says where history starts.
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { aliceAndBob, id, openChat, signedInPage, WAIT } from './fixtures.js'

t.setTimeout(180_000)

t.test('the owner sets the policy in the panel; the member sees it, and where history starts after the purge', async (t) => {
  const { world, app, alice, bob } = await aliceAndBob(t)
  const name = `Kept ${randomUUID().slice(0, 4)}`
  const created = await app.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name, memberIds: [bob.id] } })
  t.equal(created.statusCode, 201, created.body)
  const groupId = created.json().id as string
  for (let i = 1; i <= 6; i++) {
    const sent = await app.inject({ method: 'POST', url: `/api/conversations/${groupId}/messages`, headers: alice.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: `old message ${i}` } })
    t.equal(sent.statusCode, 201)
  }
  await app.sql.query('UPDATE messages SET created_at = now() - interval \'10 days\' WHERE conversation_id = $1::uuid AND seq <= 4', [groupId])

  const { page: a } = await signedInPage(world, alice)
  const { page: b } = await signedInPage(world, bob)
  await openChat(a, name)
  await openChat(b, name)

  await a.click(id('chat-info'))
  await a.waitForSelector(id('retention-input'), { timeout: WAIT })
  t.equal(await a.textContent(id('retention-state')), 'The server\'s default applies')
  await a.fill(id('retention-input'), '7')
  await a.click(id('retention-save'))
  await a.waitForSelector(`${id('retention-state')}:text("Messages are kept for 7 days")`, { timeout: WAIT })
  await b.locator(id('system-message'), { hasText: 'set messages to be kept for 7 days' }).first().waitFor({ timeout: WAIT })

  await b.click(id('chat-info'))
  await b.waitForSelector(`${id('retention-state')}:text("Messages are kept for 7 days")`, { timeout: WAIT })
  t.equal(await b.locator(id('retention-input')).count(), 0, 'a member sees the policy, without the controls')

  t.equal(await app.housekeeping.run('retention'), 4, 'the four old messages are purged')
  await b.reload()
  await b.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  await openChat(b, name)
  const top = b.locator(`${id('history-top')}[data-state="retention"]`)
  await top.waitFor({ timeout: WAIT })
  t.equal(await top.textContent(), 'Older messages were removed by the retention policy', 'where history starts')
  t.equal(await b.locator('text=old message 4').count(), 0, 'the purged messages are gone')
  t.ok(await b.locator('text=old message 5').count() > 0, 'the kept ones are shown')
  t.same(world.errors, [], 'no page errors')
})
