// suite: default only — the page's own behaviour; the services suite runs the server paths (test/modules/auth/passkeys.test.ts)
// About 20 s on an idle machine (38 s at load 17 on 2 cores): Chromium with a virtual authenticator (DevTools protocol), one page registering,
// signing out and signing back in with the passkey.
import t from 'tap'
import type { Page } from 'playwright-core'
import { enableTotp } from '../modules/auth/totp-helpers.js'
import { WAIT, id, namedUser, pageWorld, type PageWorld } from './fixtures.js'

/**
 * A platform authenticator that holds discoverable credentials and verifies its user (as a
 * laptop's fingerprint reader does), attached to the page through Chromium's DevTools protocol.
 */
async function virtualAuthenticator (page: Page): Promise<{ credentials: () => Promise<Array<{ signCount: number, isResidentCredential: boolean }>> }> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true }
  })
  return { credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials }
}

/** The page on `localhost` (a relying party id must be a domain name, not 127.0.0.1). */
const pageUrl = (world: PageWorld): string => world.url.replace('127.0.0.1', 'localhost')
const online = async (page: Page): Promise<void> => { await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT }) }

t.test('add a passkey on the page, sign out, sign back in with it (usernameless, then with a username); rename and remove it', async (t) => {
  const world = await pageWorld(t)
  const alice = await namedUser(world.app, 'Alice Liddell')
  // Two-factor on: a user-verified passkey signs in without the code step.
  await enableTotp(world.app, alice)
  const { page } = await world.openPage({ viewport: { width: 1000, height: 720 } })
  const authenticator = await virtualAuthenticator(page)
  const url = pageUrl(world)

  // Signed in already (the registration's session, refreshed): the page resumes it.
  const session = await world.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: alice.refreshToken } })
  t.equal(session.statusCode, 200, session.body)
  await page.addInitScript((value) => { if (sessionStorage.getItem('seeded') === null) { sessionStorage.setItem('seeded', '1'); localStorage.setItem('relay.tokens', value) } }, session.body)
  await page.goto(url)
  await online(page)

  await page.click(id('totp-open'))
  await page.waitForSelector(id('passkey-none'), { timeout: WAIT })
  await page.fill(id('passkey-name'), 'My laptop')
  await page.click(id('passkey-add'))
  await page.waitForSelector(`${id('passkey-item')} >> text=My laptop`, { timeout: WAIT })
  const stored = await authenticator.credentials()
  t.equal(stored.length, 1, 'the authenticator holds one credential')
  t.ok(stored[0]?.isResidentCredential, 'a discoverable credential')
  const rows = await world.app.prisma.passkey.findMany({ where: { userId: alice.id } })
  t.same(rows.map((r) => r.name), ['My laptop'])

  await page.click(id('passkey-rename'))
  await page.fill(id('passkey-rename-input'), 'Work laptop')
  await page.click(id('passkey-rename-save'))
  await page.waitForSelector(`${id('passkey-label')} >> text=Work laptop`, { timeout: WAIT })
  await page.click(id('totp-close'))

  await page.click(id('logout'))
  await page.waitForSelector(id('auth-form'), { timeout: WAIT })
  await page.click(id('passkey-sign-in'))
  await online(page)
  t.equal(await page.locator(id('auth-second-factor')).count(), 0, 'no code step: the passkey verified the user')
  t.ok((await world.app.prisma.passkey.findFirstOrThrow({ where: { userId: alice.id } })).lastUsedAt !== null)

  await page.click(id('logout'))
  await page.waitForSelector(id('auth-form'), { timeout: WAIT })
  await page.fill(id('auth-username'), alice.username)
  await page.click(id('passkey-sign-in'))
  await online(page)

  await page.click(id('totp-open'))
  await page.waitForSelector(id('passkey-item'), { timeout: WAIT })
  await page.click(id('passkey-remove'))
  await page.fill(id('passkey-remove-password'), 'wrong password')
  await page.click(id('passkey-remove-confirm'))
  await page.waitForSelector(`${id('passkey-error')}:not(:empty)`, { timeout: WAIT })
  t.equal(await world.app.prisma.passkey.count({ where: { userId: alice.id } }), 1, 'a wrong password removes nothing')
  await page.fill(id('passkey-remove-password'), 'correct horse battery')
  await page.click(id('passkey-remove-confirm'))
  await page.waitForSelector(id('passkey-none'), { timeout: WAIT })
  t.equal(await world.app.prisma.passkey.count({ where: { userId: alice.id } }), 0)
  await page.click(id('totp-close'))

  // The authenticator still holds the credential; the server no longer knows it.
  await page.click(id('logout'))
  await page.waitForSelector(id('auth-form'), { timeout: WAIT })
  await page.click(id('passkey-sign-in'))
  await page.waitForSelector(`${id('auth-error')}:not(:empty)`, { timeout: WAIT })
  t.ok(await page.isVisible(id('auth-form')), 'a removed passkey does not sign in')
  t.same(world.errors, [], 'no page errors')
})
