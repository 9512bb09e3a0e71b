// suite: default only — the browser page; the server paths it drives run on both engines in test/modules/scheduled
import t from 'tap'
import type { Page } from 'playwright-core'
import { aliceAndBob, openChat, signedInPage, WAIT, id } from './fixtures.js'

/** "Send later" in the composer and the list of my scheduled messages, in real Chromium (Alice schedules, Bob receives). */
t.setTimeout(240_000)

/** A datetime-local value `ms` from now in the page's own time zone (to the second). */
async function localIn (page: Page, ms: number): Promise<string> {
  return await page.evaluate((ahead) => {
    const d = new Date(Date.now() + ahead)
    const pad = (n: number): string => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  }, ms)
}

async function scheduleText (page: Page, text: string, aheadMs: number): Promise<void> {
  await page.fill(id('composer-input'), text)
  await page.click(id('schedule-new'))
  await page.fill(id('schedule-at'), await localIn(page, aheadMs))
  await page.click(id('schedule-send'))
}

t.test('send later: listed while it waits, sent at its time to the other side; edit and cancel; a failure shows its reason', async (t) => {
  // Any future time (SCHEDULED_MIN_AHEAD_S=0) so the test need not wait 10 s; this server works the queue.
  const { world, app, alice, bob } = await aliceAndBob(t, { config: { SCHEDULED_MIN_AHEAD_S: 0, JOBS_WORKER: true } })
  const a = await signedInPage(world, alice)
  const b = await signedInPage(world, bob)
  await openChat(a.page, 'Bob Builder')
  await openChat(b.page, 'Alice Liddell')

  // 1. Scheduled a few seconds ahead: in the list at once, then sent and gone from it.
  await scheduleText(a.page, 'see you soon', 4000)
  await a.page.waitForSelector(`${id('scheduled-item')}[data-status="scheduled"] ${id('scheduled-text')}:text-is("see you soon")`, { timeout: WAIT })
  t.equal(await a.page.inputValue(id('composer-input')), '', 'the box is cleared once scheduled')
  t.equal(await a.page.isHidden(id('schedule-panel')), true, 'the time picker closes')
  await b.page.waitForSelector(`${id('message')} :text-is("see you soon")`, { timeout: 30_000 })
  await a.page.waitForSelector(id('scheduled-list'), { state: 'hidden', timeout: WAIT })
  await a.page.waitForSelector(`${id('message')} :text-is("see you soon")`, { timeout: WAIT })

  // 2. An hour ahead: edited from the list (the text), then cancelled.
  await scheduleText(a.page, 'much later', 3600_000)
  const item = `${id('scheduled-item')}[data-status="scheduled"]`
  await a.page.waitForSelector(`${item} ${id('scheduled-text')}:text-is("much later")`, { timeout: WAIT })
  await a.page.click(`${item} ${id('scheduled-edit')}`)
  await a.page.fill(id('scheduled-edit-text'), 'a bit later')
  await a.page.click(id('scheduled-save'))
  await a.page.waitForSelector(`${item} ${id('scheduled-text')}:text-is("a bit later")`, { timeout: WAIT })
  const stored = await app.prisma.scheduledMessage.findFirstOrThrow({ where: { senderId: alice.id, status: 'scheduled' } })
  t.equal(stored.content, 'a bit later', 'the edit reached the server')
  await a.page.click(`${item} ${id('scheduled-cancel')}`)
  await a.page.waitForSelector(id('scheduled-list'), { state: 'hidden', timeout: WAIT })
  t.equal(await app.prisma.scheduledMessage.count({ where: { senderId: alice.id, status: 'scheduled' } }), 0, 'cancelled on the server')

  // 3. Bob blocks Alice before its time: the list shows it failed, with the reason.
  await scheduleText(a.page, 'are you there?', 4000)
  await a.page.waitForSelector(`${id('scheduled-item')}[data-status="scheduled"]`, { timeout: WAIT })
  const blocked = await app.inject({ method: 'POST', url: `/api/blocks/${alice.id}`, headers: bob.auth })
  t.equal(blocked.statusCode, 201)
  await a.page.waitForSelector(`${id('scheduled-item')}[data-status="failed"] ${id('scheduled-error')}[data-code="FORBIDDEN"]`, { timeout: 30_000 })
  t.match(await a.page.textContent(id('scheduled-error')), /Not sent/)
  t.equal(await b.page.locator(`${id('message')} :text-is("are you there?")`).count(), 0, 'Bob got nothing')
  t.same(world.errors, [], 'no page errors')
})
