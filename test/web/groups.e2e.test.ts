// suite: default only — the browser page; the server paths it drives run on both engines in test/modules
// Over 20 s (about 24 s): three people in Chromium go through group creation, roles, removal,
// transfer and leaving, each step seen live by the others.
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Page } from 'playwright-core'
import { befriend, registerUser, type TestUser } from '../helper.js'
import type { App } from '../../src/app.js'
import { gradientPng, pageWorld, ROOT, type PageWorld, WAIT, id } from './fixtures.js'
import { makeAdmin, makeKey } from '../modules/server-api/helpers.js'

/**
 * Groups, invites, channels and the organised conversation list in real Chromium, with two or
 * three people in their own browser contexts: the settings panel (rename, topic, avatar,
 * roles, remove, transfer, leave) with system notices on the others' pages; an invite link
 * opened by someone who is no friend of anyone (preview, join, then revoked); a channel
 * found in the browser, joined and chatted in; pin, archive, mute and notify from the list.
 */
t.setTimeout(420_000)

const SHOTS = join(ROOT, 'test-results')

interface Person extends TestUser { name: string, page: Page }

let app: App
let url: string
let errors: string[]
let world: PageWorld

/** One server and one browser for every flow, torn down with the file (the root test). */
t.before(async () => {
  mkdirSync(SHOTS, { recursive: true })
  world = await pageWorld(t, { warmUp: true })
  ;({ app, url, errors } = world)
})

/** A user made through the API with a display name, signed in on a page of their own. */
async function person (name: string): Promise<Person> {
  const user = await registerUser(app)
  await app.inject({ method: 'PATCH', url: '/api/users/me', headers: user.auth, payload: { displayName: name } })
  const { page } = await world.openPage({ viewport: { width: 1100, height: 760 } }, name)
  return { ...user, name, page }
}

async function signIn (p: Person, path = '/'): Promise<void> {
  await p.page.goto(url + path)
  await p.page.fill(id('auth-username'), p.username)
  await p.page.fill(id('auth-password'), 'correct horse battery')
  await p.page.click(id('auth-submit'))
  await p.page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
}

const conv = (page: Page, conversationId: string) => page.locator(`${id('conversation')}[data-conversation-id="${conversationId}"]`)

async function openChat (page: Page, conversationId: string): Promise<void> {
  await conv(page, conversationId).click()
  await page.waitForSelector(`${id('chat')}[data-conversation-id="${conversationId}"]`, { timeout: WAIT })
}

async function systemNotice (page: Page, text: string): Promise<void> {
  await page.locator(id('system-message'), { hasText: text }).first().waitFor({ timeout: WAIT })
}

async function openPanel (page: Page): Promise<void> {
  if (await page.locator(id('group-panel')).count() === 0) await page.click(id('chat-info'))
  await page.waitForSelector(id('group-panel'), { timeout: WAIT })
}

const member = (page: Page, userId: string) => page.locator(`${id('panel-member')}[data-user-id="${userId}"]`)

async function createGroup (owner: TestUser, name: string, members: TestUser[]): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name, memberIds: members.map((m) => m.id) } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json().id
}

t.test('settings panel: profile, roles, remove, transfer and leave, seen live by the others', async (t) => {
  const [alice, bob, carol] = await Promise.all([person('Alice'), person('Bob'), person('Carol')])
  await befriend(app, alice, bob)
  await befriend(app, alice, carol)
  const groupId = await createGroup(alice, 'Plans', [bob, carol])
  await Promise.all([signIn(alice), signIn(bob), signIn(carol)])
  await Promise.all([openChat(alice.page, groupId), openChat(bob.page, groupId), openChat(carol.page, groupId)])

  // Rename and topic by the owner: everyone's header and timeline follow.
  await openPanel(alice.page)
  const tag = randomUUID().slice(0, 4)
  await alice.page.fill(id('group-name-input'), `Trip ${tag}`)
  await alice.page.fill(id('group-topic-input'), 'Packing list')
  await alice.page.click(id('group-save'))
  await bob.page.waitForSelector(`${id('chat-title')}:text("Trip ${tag}")`, { timeout: WAIT })
  await systemNotice(bob.page, `Alice renamed the group to "Trip ${tag}"`)
  await systemNotice(carol.page, 'Alice changed the topic to "Packing list"')
  t.match(await bob.page.textContent(id('chat-subtitle')), /Packing list/, 'the topic is in the header')
  t.equal(await conv(bob.page, groupId).locator(id('unread-badge')).count(), 0, 'notices are not unread')

  // A system message from the app's backend (server API): its own words, as a notice.
  const key = await makeKey(app, await makeAdmin(app), ['messages'])
  const notice = await app.inject({ method: 'POST', url: `/api/server/conversations/${groupId}/system-messages`, headers: key.auth, payload: { clientMsgId: randomUUID(), text: `Maintenance tonight ${tag}` } })
  t.equal(notice.statusCode, 201)
  await systemNotice(bob.page, `Maintenance tonight ${tag}`)
  await systemNotice(carol.page, `Maintenance tonight ${tag}`)

  // Avatar from an upload.
  await alice.page.setInputFiles(id('group-avatar-input'), { name: 'avatar.png', mimeType: 'image/png', buffer: gradientPng(64, 64) })
  await alice.page.waitForSelector(id('group-avatar'), { timeout: WAIT })
  const avatarOk = await alice.page.locator(id('group-avatar')).evaluate(async (img: HTMLImageElement) => { await img.decode().catch(() => {}); return img.naturalWidth })
  t.equal(avatarOk, 64, 'the avatar loads')

  // A member sees no editing controls.
  await openPanel(bob.page)
  t.equal(await bob.page.locator(id('group-name-input')).count(), 0, 'members do not edit the profile')
  t.equal(await bob.page.locator(id('member-promote')).count(), 0, 'members do not promote')
  t.equal(await bob.page.locator(id('invite-create')).count(), 0, 'members make no invites')

  // Promote Bob: his panel shows him as admin, and the change is a notice.
  await member(alice.page, bob.id).locator(id('member-promote')).click()
  await bob.page.waitForSelector(`${id('panel-member')}[data-user-id="${bob.id}"][data-role="admin"]`, { timeout: WAIT })
  await systemNotice(carol.page, 'Bob')
  t.ok(await bob.page.locator(id('group-name-input')).count() > 0, 'an admin edits the profile')
  await alice.page.screenshot({ path: join(SHOTS, 'groups-panel-owner.png') })

  // Demote and promote again, then remove Carol: her list loses the group.
  await member(alice.page, bob.id).locator(id('member-demote')).click()
  await alice.page.waitForSelector(`${id('panel-member')}[data-user-id="${bob.id}"][data-role="member"]`, { timeout: WAIT })
  await member(alice.page, bob.id).locator(id('member-promote')).click()
  await alice.page.waitForSelector(`${id('panel-member')}[data-user-id="${bob.id}"][data-role="admin"]`, { timeout: WAIT })
  // Between "Remove" and "Sure?" a message from Bob redraws Alice's panel: the second click
  // still removes (the armed state outlived the redraw; it used to ask again, and the removal
  // silently did not happen whenever anything moved in the chat).
  const remove = member(alice.page, carol.id).locator(id('member-remove'))
  await remove.click()
  const armed = await remove.elementHandle()
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${groupId}/messages`, headers: bob.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'moving on' } })
  t.equal(res.statusCode, 201, 'Bob sends while Alice confirms')
  await alice.page.waitForFunction((el) => el?.isConnected !== true, armed, { timeout: WAIT })
  t.equal(await remove.getAttribute('data-confirm'), 'true', 'the redrawn button is still armed')
  await remove.click()
  await conv(carol.page, groupId).waitFor({ state: 'detached', timeout: WAIT })
  await carol.page.waitForSelector(id('no-chat'), { timeout: WAIT })
  await systemNotice(bob.page, 'Alice removed Carol')

  // Transfer to Bob: Alice becomes an admin.
  const transfer = member(alice.page, bob.id).locator(id('member-transfer'))
  await transfer.click()
  await transfer.click()
  await alice.page.waitForSelector(`${id('panel-member')}[data-user-id="${bob.id}"][data-role="owner"]`, { timeout: WAIT })
  await alice.page.waitForSelector(`${id('panel-member')}[data-user-id="${alice.id}"][data-role="admin"]`, { timeout: WAIT })
  await systemNotice(bob.page, 'Alice made you the owner')
  await systemNotice(alice.page, 'You made Bob the owner')

  // Alice leaves: gone from her list, a notice for Bob.
  const leave = alice.page.locator(id('group-leave'))
  await leave.click()
  await leave.click()
  await conv(alice.page, groupId).waitFor({ state: 'detached', timeout: WAIT })
  await systemNotice(bob.page, 'Alice left')
  t.same(errors, [], 'no page errors')
})

t.test('invite link: create and copy, a stranger previews and joins, then it is revoked', async (t) => {
  const [alice, dave, erin] = await Promise.all([person('Alice'), person('Dave'), person('Erin')])
  const groupId = await createGroup(alice, 'Readers', [])
  await app.inject({ method: 'PATCH', url: `/api/groups/${groupId}`, headers: alice.auth, payload: { topic: 'Books we love' } })
  await signIn(alice)
  await openChat(alice.page, groupId)
  await openPanel(alice.page)
  await alice.page.click(id('invite-create'))
  const link = alice.page.locator(id('invite-link')).first()
  await link.waitFor({ timeout: WAIT })
  const href = await link.inputValue()
  const code = await link.getAttribute('data-code')
  t.match(href, new RegExp(`/#/invite/${code!}$`), 'the link is the page with the code')
  await alice.page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
  await alice.page.click(id('invite-copy'))
  t.equal(await alice.page.evaluate(async () => await navigator.clipboard.readText()), href, 'copied')

  // Dave is nobody's friend: he opens the link, signs in, sees the preview and joins.
  await signIn(dave, `/#/invite/${code!}`)
  await dave.page.waitForSelector(`${id('invite-name')}:text("Readers")`, { timeout: WAIT })
  t.equal(await dave.page.textContent(id('invite-topic')), 'Books we love')
  t.equal(await dave.page.textContent(id('invite-members')), '1 member')
  await dave.page.screenshot({ path: join(SHOTS, 'groups-invite-page.png') })
  await dave.page.click(id('invite-join'))
  await dave.page.waitForSelector(`${id('chat')}[data-conversation-id="${groupId}"]`, { timeout: WAIT })
  await systemNotice(alice.page, 'Dave joined')
  await dave.page.fill(id('composer-input'), 'hello readers')
  await dave.page.press(id('composer-input'), 'Enter')
  await alice.page.locator(id('message-text'), { hasText: 'hello readers' }).waitFor({ timeout: WAIT })

  // Revoked: Erin's page says so, and nothing joins.
  await alice.page.click(id('invite-revoke'))
  await alice.page.locator(id('invite')).waitFor({ state: 'detached', timeout: WAIT })
  await signIn(erin, `/#/invite/${code!}`)
  await erin.page.waitForSelector(`${id('invite-error')}:text("invalid, expired, used up or revoked")`, { timeout: WAIT })
  t.equal(await erin.page.locator(id('invite-join')).count(), 0, 'no join button')
  t.equal(await conv(erin.page, groupId).count(), 0)
  t.same(errors, [], 'no page errors')
})

t.test('channels: create, find by search, join and chat', async (t) => {
  const [alice, bob, carol] = await Promise.all([person('Alice'), person('Bob'), person('Carol')])
  await Promise.all([signIn(alice), signIn(bob), signIn(carol)])
  const tag = randomUUID().slice(0, 6)

  await alice.page.click(id('browse-channels'))
  await alice.page.fill(id('channel-name'), `hikers-${tag}`)
  await alice.page.fill(id('channel-topic'), 'Weekend walks')
  await alice.page.click(id('channel-create'))
  const chat = alice.page.locator(id('chat'))
  await chat.waitFor({ timeout: WAIT })
  const channelId = (await chat.getAttribute('data-conversation-id'))!
  t.equal(await conv(alice.page, channelId).getAttribute('data-type'), 'channel')

  for (const p of [bob, carol]) {
    await p.page.click(id('browse-channels'))
    await p.page.fill(id('channel-search'), `ikers-${tag}`)
    const item = p.page.locator(`${id('channel-item')}[data-channel-id="${channelId}"]`)
    await item.waitFor({ timeout: WAIT })
    t.match(await item.textContent(), /Weekend walks/)
    if (p === bob) await p.page.screenshot({ path: join(SHOTS, 'groups-channel-browser.png') })
    await item.locator(id('channel-join')).click()
    await p.page.waitForSelector(`${id('chat')}[data-conversation-id="${channelId}"]`, { timeout: WAIT })
  }
  await systemNotice(alice.page, 'Carol joined')
  await bob.page.fill(id('composer-input'), `trail report ${tag}`)
  await bob.page.press(id('composer-input'), 'Enter')
  await alice.page.locator(id('message-text'), { hasText: `trail report ${tag}` }).waitFor({ timeout: WAIT })
  await carol.page.locator(id('message-text'), { hasText: `trail report ${tag}` }).waitFor({ timeout: WAIT })

  // Most members first: the channel lists 3 members; a search for nothing there says so.
  await bob.page.click(id('browse-channels'))
  await bob.page.fill(id('channel-search'), `ikers-${tag}`)
  const item = bob.page.locator(`${id('channel-item')}[data-channel-id="${channelId}"]`)
  await bob.page.waitForSelector(`${id('channel-item')}[data-channel-id="${channelId}"][data-members="3"]`, { timeout: WAIT })
  t.equal(await item.locator(id('channel-open')).count(), 1, 'a member opens rather than joins')
  await bob.page.fill(id('channel-search'), `nothing-${tag}`)
  await bob.page.waitForSelector(`${id('channel-status')}:text("No channels found")`, { timeout: WAIT })
  await bob.page.click(id('channel-close'))

  // Carol leaves from the panel.
  await openPanel(carol.page)
  const leave = carol.page.locator(id('group-leave'))
  await leave.click()
  await leave.click()
  await conv(carol.page, channelId).waitFor({ state: 'detached', timeout: WAIT })
  await systemNotice(alice.page, 'Carol left')
  t.same(errors, [], 'no page errors')
})

t.test('conversation list: pin, archive, un-archive on a message, mute and notify', async (t) => {
  const [alice, bob] = await Promise.all([person('Alice'), person('Bob')])
  await befriend(app, alice, bob)
  const older = await createGroup(alice, 'Older', [bob])
  const newer = await createGroup(alice, 'Newer', [bob])
  const direct = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: alice.auth, payload: { userId: bob.id } })).json().id as string
  const say = async (conversationId: string, text: string): Promise<void> => {
    const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: bob.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: text } })
    if (res.statusCode !== 201) throw new Error(res.body)
  }
  await say(older, 'old news')
  await say(newer, 'new news')
  await say(direct, 'hi')
  await signIn(alice)
  const order = async (): Promise<string[]> => await alice.page.locator(`${id('conversation-list')} ${id('conversation')}`).evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.conversationId!))
  t.same((await order()).slice(0, 3), [direct, newer, older], 'newest activity first')

  const menu = async (conversationId: string, item: string): Promise<void> => {
    await conv(alice.page, conversationId).locator(id('conv-menu')).click()
    await conv(alice.page, conversationId).locator(id(item)).click()
  }

  // Pin the oldest: it goes first, with a mark, and stays first after a reload.
  await menu(older, 'conv-pin')
  await alice.page.waitForSelector(`${id('conversation')}[data-conversation-id="${older}"][data-pinned="true"] ${id('pinned-mark')}`, { timeout: WAIT })
  t.same((await order())[0], older, 'pinned first')
  await alice.page.reload()
  await alice.page.waitForSelector(`${id('conversation')}[data-conversation-id="${older}"][data-pinned="true"]`, { timeout: WAIT })
  t.same((await order())[0], older, 'still first after a reload')

  // Archive the newer group: it leaves the list for the Archived view.
  await menu(newer, 'conv-archive')
  await alice.page.waitForSelector(`${id('conversation-list')} ${id('conversation')}[data-conversation-id="${newer}"]`, { state: 'detached', timeout: WAIT })
  await alice.page.click(id('archived-toggle'))
  await alice.page.waitForSelector(`${id('archived-list')} ${id('conversation')}[data-conversation-id="${newer}"]`, { timeout: WAIT })
  t.equal(await alice.page.textContent(id('archived-title')), 'Archived')
  await alice.page.click(id('archived-back'))

  // A new message brings it back.
  await say(newer, 'back again')
  await alice.page.waitForSelector(`${id('conversation-list')} ${id('conversation')}[data-conversation-id="${newer}"][data-archived="false"]`, { timeout: WAIT })

  // Muted for 8 hours and archived: a message leaves it in the archive.
  await menu(newer, 'conv-mute-8h')
  await alice.page.waitForSelector(`${id('conversation')}[data-conversation-id="${newer}"][data-muted="true"] ${id('muted-mark')}`, { timeout: WAIT })
  await menu(newer, 'conv-archive')
  await alice.page.waitForSelector(`${id('conversation-list')} ${id('conversation')}[data-conversation-id="${newer}"]`, { state: 'detached', timeout: WAIT })
  await say(newer, 'quietly')
  await alice.page.click(id('archived-toggle'))
  const archived = alice.page.locator(`${id('archived-list')} ${id('conversation')}[data-conversation-id="${newer}"]`)
  await archived.locator(id('conversation-preview'), { hasText: 'quietly' }).waitFor({ timeout: WAIT })
  t.equal(await archived.getAttribute('data-archived'), 'true', 'a muted conversation stays archived')
  await conv(alice.page, newer).locator(id('conv-menu')).click()
  await alice.page.screenshot({ path: join(SHOTS, 'groups-archived-menu.png') })
  await conv(alice.page, newer).locator(id('conv-menu')).click()

  // Unmute and unarchive from the archive; notify "mentions only" from the menu.
  await menu(newer, 'conv-mute-off')
  await alice.page.waitForSelector(`${id('conversation')}[data-conversation-id="${newer}"][data-muted="false"]`, { timeout: WAIT })
  await menu(newer, 'conv-archive')
  await alice.page.waitForSelector(`${id('conversation-list')} ${id('conversation')}[data-conversation-id="${newer}"]`, { timeout: WAIT })
  await menu(newer, 'conv-notify-mentions')
  await alice.page.waitForSelector(`${id('conversation')}[data-conversation-id="${newer}"][data-notify="mentions"]`, { timeout: WAIT })

  // The panel's controls: mute forever, then notify none, and the server agrees.
  await openChat(alice.page, direct)
  await openPanel(alice.page)
  await alice.page.selectOption(id('mute-select'), 'forever')
  await alice.page.waitForSelector(`${id('mute-state')}:text("Muted")`, { timeout: WAIT })
  await alice.page.selectOption(id('notify-select'), 'none')
  await alice.page.waitForSelector(`${id('conversation')}[data-conversation-id="${direct}"][data-notify="none"]`, { timeout: WAIT })
  const list = (await app.inject({ method: 'GET', url: '/api/conversations', headers: alice.auth })).json() as Array<{ id: string, settings: { notify: string, mutedUntil: string | null, pinned: boolean } }>
  t.match(list.find((c) => c.id === direct)?.settings, { notify: 'none', mutedUntil: String })
  t.match(list.find((c) => c.id === newer)?.settings, { notify: 'mentions', mutedUntil: null })
  t.equal(list[0]?.id, older, 'the server lists the pinned one first too')
  t.same(errors, [], 'no page errors')
})
