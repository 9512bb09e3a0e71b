// suite: default only — the SDK's catch-up in Chromium; the server paths run on both engines in test/modules/messages/sync-memberships.test.ts
import t from 'tap'
import { build } from 'esbuild'
import { befriend, registerUser, type TestUser } from '../helper.js'
import type { App } from '../../src/app.js'
import { pageWorld, ROOT, WAIT } from './fixtures.js'

/**
 * The SDK in Chromium (bundled as an app would bundle it) catches up on conversations that
 * began while the browser was offline: a group made with me, a channel I joined on another
 * device, a direct chat a friend started. Back online, each arrives once with its messages,
 * then `synced`. The Node twin is test/client/catch-up-memberships.test.ts.
 */
t.setTimeout(90_000)

async function sdkBundle (): Promise<string> {
  const result = await build({
    stdin: { contents: "export { createClient } from '@relay-im/client'", resolveDir: ROOT, loader: 'js' },
    bundle: true,
    conditions: ['@relay-im/source'],
    format: 'iife',
    globalName: 'Relay',
    // index.html loads app.js as a module: its top-level var is not a global by itself.
    footer: { js: 'globalThis.Relay = Relay' },
    platform: 'browser',
    target: ['es2022'],
    write: false,
    logLevel: 'error'
  })
  return result.outputFiles[0]!.text
}

async function api (app: App, user: TestUser, url: string, payload?: object): Promise<any> {
  const res = await app.inject({ method: 'POST', url: `/api${url}`, headers: user.auth, ...(payload !== undefined ? { payload } : {}) })
  if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}
const post = async (app: App, user: TestUser, conversationId: string, content: string): Promise<void> => {
  await api(app, user, `/conversations/${conversationId}/messages`, { clientMsgId: crypto.randomUUID(), type: 'text', content })
}

interface Seen { events: Array<{ event: string, conversationId?: string, id?: string, seq?: number, type?: string, content?: unknown, messages?: number }>, status: string }

t.test('offline in Chromium: a new group, a channel joined elsewhere and a direct chat arrive once on reconnect', async (t) => {
  const [{ app, url, openPage, errors }, js] = await Promise.all([pageWorld(t), sdkBundle()])
  const [me, owner, friend] = [await registerUser(app), await registerUser(app), await registerUser(app)]
  const known = (await api(app, owner, '/groups', { name: 'known', memberIds: [me.id] })).id as string
  await post(app, owner, known, 'k1')

  // The server's own page with the SDK bundle in place of the app (a document from the server
  // itself: Chromium refuses a page that is not served from 127.0.0.1 a socket to it).
  const { context, page } = await openPage()
  await context.route(`${url}/app.js`, async (route) => { await route.fulfill({ contentType: 'text/javascript', body: js }) })
  await page.goto(url)
  await page.waitForFunction(() => (globalThis as any).Relay !== undefined, undefined, { timeout: WAIT })
  await page.evaluate(async ({ token, refreshToken }) => {
    const seen: Seen = { events: [], status: 'offline' }
    ;(globalThis as any).seen = seen
    const client = (globalThis as any).Relay.createClient({ url: location.origin, token, refreshToken, reconnect: { baseMs: 50, maxMs: 400 } })
    client.on('status', (s: string) => { seen.status = s })
    client.on('message:new', (m: any) => { seen.events.push({ event: 'message', conversationId: m.conversationId, id: m.id, seq: m.seq, type: m.type, content: m.content }) })
    client.on('conversation:updated', (c: any) => { seen.events.push({ event: 'conversation', conversationId: c.id }) })
    client.on('synced', (s: any) => { seen.events.push({ event: 'synced', messages: s.messages }) })
    // As an app does (and the page, src/web/main.ts): Chromium keeps a WebSocket open through a network loss.
    addEventListener('offline', () => { client.disconnect() })
    addEventListener('online', () => { client.connect().catch(() => {}) })
    const synced = new Promise((resolve) => { const off = client.on('synced', () => { off(); resolve(undefined) }) })
    await client.connect()
    await synced
  }, { token: me.accessToken, refreshToken: me.refreshToken })
  const seen = async (): Promise<Seen> => await page.evaluate(() => (globalThis as any).seen as Seen)
  t.comment('connected and caught up')
  const first = await seen()
  t.same(first.events.filter((e) => e.event === 'synced').length, 1, 'caught up once at the start')
  const before = first.events.length

  // ---- offline: the browser's network is gone, and meanwhile everything happens elsewhere
  await context.setOffline(true)
  await page.waitForFunction(() => (globalThis as any).seen.status !== 'online', undefined, { timeout: WAIT })
  t.comment('offline')
  const made = (await api(app, owner, '/groups', { name: 'made', memberIds: [me.id] })).id as string
  await post(app, owner, made, 'g1')
  await post(app, owner, made, 'g2')
  const channel = (await api(app, owner, '/channels', { name: `c${Date.now()}` })).id as string
  await post(app, owner, channel, 'c1')
  await api(app, me, `/channels/${channel}/join`) // my other device
  await post(app, owner, channel, 'c2')
  await befriend(app, friend, me)
  const direct = (await api(app, friend, '/conversations/direct', { userId: me.id })).id as string
  await post(app, friend, direct, 'd1')
  await post(app, owner, known, 'k2')

  // ---- back online: caught up, then synced
  await context.setOffline(false)
  t.comment('online again')
  await page.waitForFunction((n) => (globalThis as any).seen.events.slice(n).some((e: any) => e.event === 'synced'), before, { timeout: 30_000 })
  const after = (await seen()).events.slice(before)
  const conversations = after.filter((e) => e.event === 'conversation').map((e) => e.conversationId)
  t.same([...new Set(conversations)].sort(), [made, channel, direct].sort(), 'each new conversation arrives')
  t.equal(conversations.length, 3, 'each once')
  const messages = after.filter((e) => e.event === 'message')
  const texts = (id: string): unknown[] => messages.filter((m) => m.conversationId === id && m.type === 'text').map((m) => m.content)
  t.same(texts(made), ['g1', 'g2'], 'the group with its messages')
  t.same(texts(channel), ['c1', 'c2'], 'the channel from its start')
  t.same(texts(direct), ['d1'], 'the direct chat')
  t.same(texts(known), ['k2'], 'the known group from its cursor')
  t.equal(new Set(messages.map((m) => m.id)).size, messages.length, 'no message twice')
  const synced = after.filter((e) => e.event === 'synced')
  t.equal(synced.length, 1, 'synced once')
  t.equal(synced[0]?.messages, messages.length, 'synced counts what arrived')
  t.same(errors, [], 'no page errors')
})
