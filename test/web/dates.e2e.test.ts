// suite: default only — the page's own behaviour; the services suite runs the server paths
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { openChat, signedInPage, aliceAndBob, WAIT, id } from './fixtures.js'

/**
 * Dates in the user's locale: day separators (a date, "Yesterday", "Today") between messages,
 * a dated "last seen", dated search results.
 */
t.setTimeout(60_000)

const DAY = 86_400_000

t.test('day separators, a dated last seen and dated search results', async (t) => {
  const { world, app, alice, bob, direct: conversationId } = await aliceAndBob(t)
  // Noon of today in UTC (the page runs in UTC below), then the same hour 1 and 40 days before.
  const noon = new Date(new Date().toISOString().slice(0, 10) + 'T12:00:00.000Z').getTime()
  const when = [noon - 40 * DAY, noon - DAY, Math.min(noon, Date.now() - 60_000)]
  for (const [i, at] of when.entries()) {
    const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: bob.auth, payload: { type: 'text', content: `dated ${i}`, clientMsgId: randomUUID() } })
    if (res.statusCode !== 201) throw new Error(res.body)
    await app.prisma.message.update({ where: { id: res.json().id }, data: { createdAt: new Date(at) } })
  }
  const lastSeen = new Date(noon - 3 * DAY)
  await app.prisma.user.update({ where: { id: bob.id }, data: { lastSeenAt: lastSeen } })

  const { page } = await signedInPage(world, alice, () => {}, { locale: 'en-US', timezoneId: 'UTC' })
  await openChat(page, 'Bob Builder')
  await page.waitForSelector(`${id('message')}:has-text("dated 2")`, { timeout: WAIT })
  const separators = await page.locator(id('day-separator')).allTextContents()
  const old = new Date(when[0]!)
  const expectedOld = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', ...(old.getUTCFullYear() === new Date().getUTCFullYear() ? { month: 'long', day: 'numeric', weekday: 'short' } : { year: 'numeric', month: 'long', day: 'numeric' }) }).format(old)
  t.same(separators, [expectedOld, 'Yesterday', 'Today'], 'a separator before each day')

  const subtitle = await page.textContent(id('chat-subtitle'))
  const month = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short' }).format(lastSeen)
  t.match(subtitle, new RegExp(`^last seen .*${month}`), `the last seen has its date: ${subtitle}`)

  await page.fill(id('message-search'), 'dated')
  await page.waitForSelector(id('message-hit'), { timeout: WAIT })
  const times = await page.locator(id('message-hit-time')).allTextContents()
  t.equal(times.length, 3)
  t.ok(times.some((s) => s.startsWith('yesterday')), `yesterday's result says so: ${times.join(' | ')}`)
  t.ok(times.some((s) => s.includes(new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short' }).format(old))), 'the old one has its date')
  t.same(world.errors, [], 'no page errors')
})
