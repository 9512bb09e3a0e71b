// suite: default only — the page's own behaviour; the services suite runs the server paths (test/modules/auth/totp.test.ts)
// About 35 s: Chromium, three browser contexts, each signing in through the page.
import t from 'tap'
import type { Page } from 'playwright-core'
import { codeFor } from '../modules/auth/totp-helpers.js'
import { WAIT, id, namedUser, pageWorld, signedInPage, type PageWorld } from './fixtures.js'

/** Signs in on a fresh page with the password; the page then asks for a code. */
async function passwordOnFreshPage (world: PageWorld, username: string): Promise<Page> {
  const { page } = await world.openPage({ viewport: { width: 1000, height: 720 } })
  await page.goto(world.url)
  await page.fill(id('auth-username'), username)
  await page.fill(id('auth-password'), 'correct horse battery')
  await page.click(id('auth-submit'))
  await page.waitForSelector(id('auth-second-factor'), { timeout: WAIT })
  return page
}

const online = async (page: Page): Promise<void> => { await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT }) }

t.test('two-factor on the page: set up with the QR code, sign in with a code and with a recovery code, turn it off', async (t) => {
  const world = await pageWorld(t)
  const alice = await namedUser(world.app, 'Alice Liddell')
  const { page } = await signedInPage(world, alice)

  await page.click(id('totp-open'))
  await page.waitForSelector(`${id('totp-state')}[data-enabled="false"]`, { timeout: WAIT })
  await page.fill(id('totp-password'), 'wrong password')
  await page.click(id('totp-start'))
  await page.waitForSelector(`${id('totp-error')}:not(:empty)`, { timeout: WAIT })
  t.equal(await page.locator(id('totp-qr')).count(), 0, 'no secret without the password')
  await page.fill(id('totp-password'), 'correct horse battery')
  await page.click(id('totp-start'))
  const qr = await page.waitForSelector(id('totp-qr'), { timeout: WAIT })
  t.ok(await qr.evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0), 'the QR code renders')
  t.match(decodeURIComponent(await qr.getAttribute('src') ?? ''), /^data:image\/svg\+xml;charset=utf-8,<svg/)
  const secret = (await page.textContent(id('totp-secret')))!.trim()
  t.match(secret, /^[A-Z2-7]{16,}$/)

  await page.fill(id('totp-code'), '000000')
  await page.click(id('totp-confirm'))
  await page.waitForSelector(`${id('totp-error')}:not(:empty)`, { timeout: WAIT })
  t.equal((await world.app.inject({ method: 'GET', url: '/api/auth/totp', headers: alice.auth })).json().enabled, false, 'a wrong code turns nothing on')

  await page.fill(id('totp-code'), await codeFor(secret))
  await page.click(id('totp-confirm'))
  // allTextContents does not wait: the list is there once the server has answered
  await page.locator(`${id('totp-recovery-codes')} li`).first().waitFor({ timeout: WAIT })
  const codes = (await page.locator(`${id('totp-recovery-codes')} li`).allTextContents()).map((c) => c.trim())
  t.equal(codes.length, 10, 'ten recovery codes are shown once')
  await page.click(id('totp-close'))

  // Another browser: the password, then a wrong code (told so, still asked), then a right one.
  const second = await passwordOnFreshPage(world, alice.username)
  await second.fill(id('auth-code'), '000000')
  await second.click(id('auth-code-submit'))
  await second.waitForSelector(`${id('auth-code-error')}:not(:empty)`, { timeout: WAIT })
  t.ok(await second.isVisible(id('auth-second-factor')), 'a wrong code keeps the code step')
  await second.fill(id('auth-code'), await codeFor(secret, 1))
  await second.click(id('auth-code-submit'))
  await online(second)

  // A third: a recovery code; then it turns two-factor off with another one.
  const third = await passwordOnFreshPage(world, alice.username)
  await third.fill(id('auth-code'), codes[0]!)
  await third.click(id('auth-code-submit'))
  await online(third)
  await third.click(id('totp-open'))
  await third.waitForSelector(`${id('totp-state')}[data-enabled="true"]`, { timeout: WAIT })
  t.match(await third.textContent(id('totp-state')), /9/, 'nine recovery codes left')
  await third.fill(id('totp-code'), codes[1]!)
  await third.click(id('totp-disable'))
  await third.waitForSelector(`${id('totp-state')}[data-enabled="false"]`, { timeout: WAIT })

  const login = await world.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: alice.username, password: 'correct horse battery' } })
  t.ok('accessToken' in login.json(), 'the password alone signs in again')
  t.same(world.errors, [], 'no page errors')
})
