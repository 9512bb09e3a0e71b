// suite: default only — the browser page; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { randomBytes, randomUUID, webcrypto } from 'node:crypto'
import type { CDPSession } from 'playwright-core'
import { befriend, registerUser } from '../helper.js'
import { pageWorld, WAIT, id } from './fixtures.js'

/**
 * Web Push on the page, in the whole Chromium (the headless shell the other page tests use
 * shows no notifications): the "Notifications" toggle registers the service
 * worker and, with no push service reachable from this machine, shows why it stays off while
 * the page goes on working; a push delivered to the service worker through the DevTools
 * protocol (ServiceWorker.deliverPushMessage) shows a notification titled with the sender,
 * the preview as body, tagged per conversation (a newer one replaces it); a click on it opens
 * the conversation in the page.
 */
t.setTimeout(180_000)

interface Shown { title: string, body: string, tag: string, data: unknown }

t.test('service worker shows pushes; the toggle fails visibly without a push service', async (t) => {
  const { app, url, errors, openPage } = await pageWorld(t, { fullBrowser: true })

  // The worker script: at the root (scope '/'), JavaScript, always revalidated.
  const sw = await fetch(`${url}/sw.js`)
  t.equal(sw.status, 200)
  t.match(sw.headers.get('content-type'), /javascript/)
  t.equal(sw.headers.get('cache-control'), 'no-cache')
  t.equal(sw.headers.get('service-worker-allowed'), '/')
  await sw.arrayBuffer()

  const alice = await registerUser(app)
  const bob = await registerUser(app)
  await befriend(app, alice, bob)
  const conversationId = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: alice.auth, payload: { userId: bob.id } })).json().id as string
  const sent = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: bob.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'hello from bob' } })
  t.equal(sent.statusCode, 201)
  const message = sent.json()

  const { context, page } = await openPage({ viewport: { width: 1000, height: 700 } })
  await context.grantPermissions(['notifications'], { origin: url })
  await page.goto(url)
  await page.fill(id('auth-username'), alice.username)
  await page.fill(id('auth-password'), 'correct horse battery')
  await page.click(id('auth-submit'))
  await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })

  const toggle = page.locator(id('notifications-toggle'))
  t.equal(await toggle.getAttribute('aria-pressed'), 'false', 'off at first')
  t.equal(await page.textContent(id('notifications-state')), 'off')

  await t.test('toggle: no push service here, so a clear message and the toggle stays off', async (t) => {
    await toggle.click()
    await page.waitForSelector(`${id('notifications-toggle')}[data-state="error"]`, { timeout: 30_000 })
    const status = page.locator(id('notifications-status'))
    t.ok(await status.isVisible(), 'the reason is shown')
    const text = await status.textContent() ?? ''
    t.match(text, /^This browser could not subscribe with its push service, so notifications stay off \(.+\)\.$/, `says why: ${text}`)
    t.equal(await toggle.getAttribute('aria-pressed'), 'false')
    t.equal(await page.textContent(id('notifications-state')), 'off')
    t.equal(await toggle.isEnabled(), true, 'can be tried again')
    const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('relay.push.')))
    t.same(stored, [], 'no subscription remembered')
    const list = await app.inject({ method: 'GET', url: '/api/push/subscriptions', headers: alice.auth })
    if (list.statusCode === 200) t.same(list.json(), [], 'nothing recorded on the server')
    // The page goes on working: the conversation opens and a message goes out.
    await page.click(`${id('conversation')}[data-conversation-id="${conversationId}"]`)
    await page.fill(`${id('chat')} textarea`, 'still working')
    await page.keyboard.press('Enter')
    await page.waitForSelector(`${id('message')}:has-text("still working")`, { timeout: WAIT })
  })

  // The toggle registered the worker (before the push service refused).
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope)
  t.equal(scope, `${url}/`, 'service worker registered at the root scope')

  const cdp: CDPSession = await context.newCDPSession(page)
  const registrations = new Map<string, string>()
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: Array<{ registrationId: string, scopeURL: string, isDeleted: boolean }> }) => {
    for (const r of e.registrations) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId)
  })
  await cdp.send('ServiceWorker.enable')
  const deadline = Date.now() + WAIT
  while (!registrations.has(`${url}/`) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  const registrationId = registrations.get(`${url}/`)
  if (registrationId === undefined) throw new Error(`no registration for ${url}/: ${JSON.stringify([...registrations])}`)

  // getNotifications() reconciles Chromium's notification store with what the platform has on
  // screen and drops an entry whose display is still on its way: read while a push is being
  // shown and that notification is gone for good (about one run in three failed so). So the
  // worker's showNotification calls are counted, and the list is read only once every push
  // delivered so far has been shown.
  const worker = context.serviceWorkers().find((w) => w.url() === `${url}/sw.js`) ?? await context.waitForEvent('serviceworker', { timeout: WAIT })
  await worker.evaluate(() => {
    const scope = self as unknown as { registration: ServiceWorkerRegistration, relayTestShown: number }
    const registration = scope.registration
    const show = registration.showNotification.bind(registration)
    scope.relayTestShown = 0
    registration.showNotification = async (title, options) => { await show(title, options); scope.relayTestShown++ }
  })
  let delivered = 0
  const push = async (data: unknown): Promise<void> => {
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: url, registrationId, data: typeof data === 'string' ? data : JSON.stringify(data) })
    delivered++
  }
  const allShown = async (): Promise<void> => {
    await worker.evaluate(async ([count, wait]) => {
      const until = Date.now() + wait
      while ((self as unknown as { relayTestShown: number }).relayTestShown < count && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10))
    }, [delivered, WAIT] as const)
  }
  const shown = async (): Promise<Shown[]> => await page.evaluate(async () => {
    const list = await (await navigator.serviceWorker.ready).getNotifications()
    return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown }))
  })
  const waitShown = async (check: (list: Shown[]) => boolean): Promise<Shown[]> => {
    await allShown()
    const until = Date.now() + WAIT
    let list = await shown()
    while (!check(list) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      list = await shown()
    }
    return list
  }
  const payload = (preview: string | null, seq: number): Record<string, unknown> => ({
    conversationId, messageId: message.id, seq, sender: { id: bob.id, displayName: 'Bob Builder' }, preview, unread: seq
  })

  await t.test('a push becomes a notification: sender, preview, tag per conversation', async (t) => {
    await push(payload('hello from bob', message.seq))
    const list = await waitShown((l) => l.length > 0)
    t.same(list, [{ title: 'Bob Builder', body: 'hello from bob', tag: `conversation:${conversationId}`, data: { conversationId } }])
  })

  await t.test('a newer push in the same conversation replaces the shown one', async (t) => {
    await push(payload('second message', message.seq + 1))
    const list = await waitShown((l) => l.some((n) => n.body === 'second message'))
    t.equal(list.length, 1, 'collapsed by tag')
    t.equal(list[0]?.body, 'second message')
  })

  await t.test('no preview: "New message"; a payload that is not ours still shows something', async (t) => {
    await push(payload(null, message.seq + 2))
    let list = await waitShown((l) => l.some((n) => n.body === 'New message'))
    t.same(list.map((n) => [n.title, n.body, n.tag]), [['Bob Builder', 'New message', `conversation:${conversationId}`]])
    await push('not json')
    list = await waitShown((l) => l.length === 2)
    t.same(list.find((n) => n.tag === 'relay'), { title: 'Relay', body: 'New message', tag: 'relay', data: {} })
  })

  await t.test('the click path opens the conversation in the open page', async (t) => {
    await page.goto(url) // nothing open
    await page.waitForSelector(id('no-chat'), { timeout: WAIT })
    // What notificationclick runs (a real click on a system notification cannot be scripted).
    await worker.evaluate(async (cid) => { await (self as unknown as { relayOpenConversation: (c: string) => Promise<void> }).relayOpenConversation(cid) }, conversationId)
    await page.waitForSelector(`${id('chat')}[data-conversation-id="${conversationId}"]`, { timeout: WAIT })
    t.equal(new URL(page.url()).hash, `#c=${conversationId}`)

    // Signed out when the click comes: the conversation opens after signing in.
    await page.click(id('logout'))
    await page.waitForSelector(id('auth-username'), { timeout: WAIT })
    await worker.evaluate(async (cid) => { await (self as unknown as { relayOpenConversation: (c: string) => Promise<void> }).relayOpenConversation(cid) }, conversationId)
    await page.waitForFunction((cid) => location.hash === `#c=${cid}`, conversationId, { timeout: WAIT })
    await page.fill(id('auth-username'), alice.username)
    await page.fill(id('auth-password'), 'correct horse battery')
    await page.click(id('auth-submit'))
    await page.waitForSelector(`${id('chat')}[data-conversation-id="${conversationId}"]`, { timeout: WAIT })
    t.pass('opened after signing in')
  })

  t.same(errors, [], 'no page errors')
})

t.test('toggle on and off, and signing out, with the browser\'s subscribe stood in for', async (t) => {
  const PUSH_HOST = 'push.example.test'
  const world = await pageWorld(t, { fullBrowser: true, config: { OUTBOUND_ALLOWED_HOSTS: `${PUSH_HOST}:443` } })
  const { app, url, errors } = world
  const alice = await registerUser(app)
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])
  const fake = {
    endpoint: `https://${PUSH_HOST}/send/${randomUUID()}`,
    p256dh: Buffer.from(await webcrypto.subtle.exportKey('raw', pair.publicKey)).toString('base64url'),
    auth: randomBytes(16).toString('base64url')
  }

  const context = await world.context()
  await context.grantPermissions(['notifications'], { origin: url })
  // No push service is reachable from here: pushManager.subscribe/getSubscription answer as a
  // browser with one would (the subscription lives in sessionStorage across reloads).
  await context.addInitScript((f: typeof fake) => {
    const KEY = 'test.fake-push'
    const make = (): unknown => ({
      endpoint: f.endpoint,
      expirationTime: null,
      options: {},
      toJSON: () => ({ endpoint: f.endpoint, expirationTime: null, keys: { p256dh: f.p256dh, auth: f.auth } }),
      unsubscribe: async () => { sessionStorage.removeItem(KEY); (window as any).__unsubscribed = ((window as any).__unsubscribed ?? 0) + 1; return true }
    })
    const key = (window as any).__pushKey = { value: undefined as unknown }
    PushManager.prototype.subscribe = async function (opts?: PushSubscriptionOptionsInit) {
      key.value = opts?.applicationServerKey
      sessionStorage.setItem(KEY, '1')
      return make() as PushSubscription
    }
    PushManager.prototype.getSubscription = async function () {
      return sessionStorage.getItem(KEY) === null ? null : make() as PushSubscription
    }
  }, fake)
  const page = await context.newPage()
  world.watch(page)
  await page.goto(url)
  await page.fill(id('auth-username'), alice.username)
  await page.fill(id('auth-password'), 'correct horse battery')
  await page.click(id('auth-submit'))
  await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
  const records = async (): Promise<Array<{ id: string, endpoint: string }>> => (await app.inject({ method: 'GET', url: '/api/push/subscriptions', headers: alice.auth })).json()

  await page.click(id('notifications-toggle'))
  await page.waitForSelector(`${id('notifications-toggle')}[data-state="on"]`, { timeout: WAIT })
  t.equal(await page.getAttribute(id('notifications-toggle'), 'aria-pressed'), 'true')
  t.equal(await page.textContent(id('notifications-state')), 'on')
  t.notOk(await page.isVisible(id('notifications-status')), 'no message')
  const vapid = (await app.inject({ method: 'GET', url: '/api/push/vapid-public-key', headers: alice.auth })).json().publicKey as string
  const applicationServerKey = await page.evaluate(() => {
    const k = (window as any).__pushKey.value as Uint8Array
    return btoa(String.fromCharCode(...k)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  })
  t.equal(applicationServerKey, vapid, 'subscribed with the server\'s VAPID key, as bytes')
  let list = await records()
  t.same(list.map((r) => r.endpoint), [fake.endpoint], 'the subscription is recorded on the server')
  t.same(await page.evaluate((uid) => JSON.parse(localStorage.getItem(`relay.push.${uid}`) ?? 'null'), alice.id), { id: list[0]!.id, endpoint: fake.endpoint })

  // A reload shows it on.
  await page.reload()
  await page.waitForSelector(`${id('notifications-toggle')}[data-state="on"]`, { timeout: WAIT })

  await page.click(id('notifications-toggle'))
  await page.waitForSelector(`${id('notifications-toggle')}[data-state="off"]`, { timeout: WAIT })
  t.same(await records(), [], 'off deletes the server record')
  t.equal(await page.evaluate(() => (window as any).__unsubscribed), 1, 'and unsubscribes the browser')

  // On again, then sign out: the record goes too.
  await page.click(id('notifications-toggle'))
  await page.waitForSelector(`${id('notifications-toggle')}[data-state="on"]`, { timeout: WAIT })
  list = await records()
  t.equal(list.length, 1)
  await page.click(id('logout'))
  await page.waitForSelector(id('auth-username'), { timeout: WAIT })
  t.same(await records(), [], 'signing out deletes the subscription')
  t.same(errors, [], 'no page errors')
})
