// suite: default only — the browser page; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Page } from 'playwright-core'
import { registerUser, type TestUser } from '../helper.js'
import type { App } from '../../src/app.js'
import { pageWorld, ROOT, type PageWorld, WAIT, id } from './fixtures.js'

/**
 * Membership in real Chromium: the owner's settings panel lists every live invite link of
 * the group (an admin's too, with its maker) and revokes one; it lists the users banned from
 * a channel (a removal is a ban) with an Unban button that lets them join again.
 */
t.setTimeout(300_000)

const SHOTS = join(ROOT, 'test-results')

interface Person extends TestUser { name: string, page: Page }

let app: App
let url: string
let errors: string[]
let world: PageWorld

/** One server and one browser for every flow, torn down with the file (the root test). */
t.before(async () => {
  mkdirSync(SHOTS, { recursive: true })
  world = await pageWorld(t)
  ;({ app, url, errors } = world)
})

async function api (user: TestUser, method: string, path: string, payload?: unknown): Promise<any> {
  const res = await app.inject({ method: method as 'POST', url: `/api${path}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? undefined : res.json()
}

async function person (name: string, withPage: boolean): Promise<Person> {
  const user = await registerUser(app)
  await api(user, 'PATCH', '/users/me', { displayName: name })
  if (!withPage) return { ...user, name, page: undefined as unknown as Page }
  const { page } = await world.openPage({ viewport: { width: 1100, height: 760 } }, name)
  return { ...user, name, page }
}

async function signIn (p: Person): Promise<void> {
  await p.page.goto(url + '/')
  await p.page.fill(id('auth-username'), p.username)
  await p.page.fill(id('auth-password'), 'correct horse battery')
  await p.page.click(id('auth-submit'))
  await p.page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
}

async function openPanelOf (page: Page, conversationId: string): Promise<void> {
  await page.locator(`${id('conversation')}[data-conversation-id="${conversationId}"]`).click()
  await page.waitForSelector(`${id('chat')}[data-conversation-id="${conversationId}"]`, { timeout: WAIT })
  if (await page.locator(id('group-panel')).count() === 0) await page.click(id('chat-info'))
  await page.waitForSelector(id('group-panel'), { timeout: WAIT })
}

t.test('the owner sees an admin\'s invite link in the panel and revokes it', async (t) => {
  const [alice, bob, dave] = await Promise.all([person('Alice', true), person('Bob', false), person('Dave', false)])
  const group = (await api(alice, 'POST', '/groups', { name: 'Crew', memberIds: [bob.id] })).id as string
  await api(alice, 'PUT', `/groups/${group}/members/${bob.id}/role`, { role: 'admin' })
  const bobs = await api(bob, 'POST', `/groups/${group}/invites`, { maxUses: 10 })
  await signIn(alice)
  await openPanelOf(alice.page, group)
  const row = alice.page.locator(`${id('invite')}[data-invite-id="${bobs.id as string}"]`)
  await row.waitFor({ timeout: WAIT })
  t.equal(await row.getAttribute('data-created-by'), bob.id, 'the maker is known')
  t.match(await row.locator(id('invite-meta')).textContent(), /by Bob.*0 of 10 uses/, 'maker and uses shown')
  t.equal(await row.locator(id('invite-link')).count(), 0, 'no code: only its maker saw it')
  await alice.page.screenshot({ path: join(SHOTS, 'membership-invites.png') })
  await row.locator(id('invite-revoke')).click()
  await row.waitFor({ state: 'detached', timeout: WAIT })
  const preview = await app.inject({ method: 'GET', url: `/api/invites/${bobs.code as string}`, headers: dave.auth })
  t.equal(preview.statusCode, 404, 'the link is dead')
  t.same(errors, [], 'no page errors')
})

t.test('a channel\'s banned member is listed in the panel with Unban, and can join again after it', async (t) => {
  const [alice, carol] = await Promise.all([person('Alice', true), person('Carol', false)])
  const channel = (await api(alice, 'POST', '/channels', { name: `news ${randomUUID().slice(0, 6)}` })).id as string
  await api(carol, 'POST', `/channels/${channel}/join`)
  await api(alice, 'DELETE', `/groups/${channel}/members/${carol.id}`)
  const rejoin = await app.inject({ method: 'POST', url: `/api/channels/${channel}/join`, headers: carol.auth })
  t.equal(rejoin.statusCode, 403, 'banned: no rejoin')
  await signIn(alice)
  await openPanelOf(alice.page, channel)
  const banned = alice.page.locator(`${id('banned-member')}[data-user-id="${carol.id}"]`)
  await banned.waitFor({ timeout: WAIT })
  t.match(await banned.textContent(), /Carol/)
  await alice.page.screenshot({ path: join(SHOTS, 'membership-bans.png') })
  await banned.locator(id('unban')).click()
  await banned.waitFor({ state: 'detached', timeout: WAIT })
  t.equal((await app.inject({ method: 'POST', url: `/api/channels/${channel}/join`, headers: carol.auth })).statusCode, 200, 'unbanned: joins again')
  t.same(errors, [], 'no page errors')
})
