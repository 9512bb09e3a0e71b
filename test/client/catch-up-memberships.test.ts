// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules/messages/sync-memberships.test.ts
import t from 'tap'
import type { Conversation, Message } from '@relay-im/client'
import { befriend, type TestUser } from '../helper.js'
import type { App } from '../../src/app.js'
import { clientFor, group, next, registerUser, server } from './fixtures.js'

async function post (app: App, user: TestUser, conversationId: string, content: string): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: user.auth, payload: { clientMsgId: crypto.randomUUID(), type: 'text', content } })
  if (res.statusCode !== 201) throw new Error(`post failed: ${res.statusCode} ${res.body}`)
}

async function api (app: App, user: TestUser, method: 'POST', url: string, payload?: object): Promise<any> {
  const res = await app.inject({ method, url: `/api${url}`, headers: user.auth, ...(payload !== undefined ? { payload } : {}) })
  if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}

t.test('conversations joined while the device was offline arrive with their messages, once, then synced', async (t) => {
  const srv = await server(t)
  const [me, owner, friend] = [await registerUser(srv.app), await registerUser(srv.app), await registerUser(srv.app)]
  const known = await group(srv.app, owner, [me])
  await post(srv.app, owner, known, 'k1')

  // The device's first run: it catches up, then stores its positions and closes.
  const first = clientFor(t, srv, me)
  const firstSynced = next(first, 'synced')
  await first.connect()
  await firstSynced
  t.same(first.getCursors(), { [known]: 1 })
  const stored = { seqs: first.getCursors(), revs: first.getRevCursors(), memberships: first.getMembershipsToken() }
  t.type(stored.memberships, 'string', 'a memberships token to store')
  first.close()

  // Meanwhile: (a) a group made with me, (b) a channel I join on another device, (c) a friend's direct chat.
  const made = await group(srv.app, owner, [me])
  await post(srv.app, owner, made, 'g1')
  await post(srv.app, owner, made, 'g2')
  const channel = (await api(srv.app, owner, 'POST', '/channels', { name: `c${Date.now()}` })).id as string
  await post(srv.app, owner, channel, 'c1')
  await api(srv.app, me, 'POST', `/channels/${channel}/join`)
  await post(srv.app, owner, channel, 'c2')
  await befriend(srv.app, friend, me)
  const direct = (await api(srv.app, friend, 'POST', '/conversations/direct', { userId: me.id })).id as string
  await post(srv.app, friend, direct, 'd1')
  await post(srv.app, owner, known, 'k2')

  const device = clientFor(t, srv, me)
  for (const [id, seq] of Object.entries(stored.seqs)) device.setCursor(id, seq)
  for (const [id, rev] of Object.entries(stored.revs)) device.setRevCursor(id, rev)
  device.setMembershipsToken(stored.memberships ?? '')
  const conversations: Conversation[] = []
  const got: Message[] = []
  device.on('conversation:updated', (c) => conversations.push(c))
  device.on('message:new', (m) => got.push(m))
  const synced = next(device, 'synced')
  await device.connect()
  const info = await synced

  t.same(conversations.map((c) => c.id).sort(), [made, channel, direct].sort(), 'each new conversation once')
  const texts = (id: string): unknown[] => got.filter((m) => m.conversationId === id && m.type === 'text').map((m) => m.content)
  t.same(texts(made), ['g1', 'g2'])
  t.same(texts(channel), ['c1', 'c2'], 'the channel from its start, as history is for members')
  t.same(texts(direct), ['d1'])
  t.same(texts(known), ['k2'], 'the known conversation from its cursor')
  t.equal(new Set(got.map((m) => m.id)).size, got.length, 'no message twice')
  for (const id of [made, channel, direct]) {
    const seqs = got.filter((m) => m.conversationId === id).map((m) => m.seq)
    t.same(seqs, [...seqs].sort((a, b) => a - b), 'in seq order')
  }
  t.equal(info.messages, got.length)
  t.not(device.getMembershipsToken(), stored.memberships, 'the token moved on')

  // Reconnecting again brings nothing twice.
  const again = next(device, 'synced')
  device.socket.io.engine.close()
  t.same(await again, { messages: 0 })
  t.equal(conversations.length, 3)
})

t.test('a device with no cursors and no token gets its conversations and synced', async (t) => {
  const srv = await server(t)
  const [me, owner] = [await registerUser(srv.app), await registerUser(srv.app)]
  const g = await group(srv.app, owner, [me])
  await post(srv.app, owner, g, 'hello')
  const device = clientFor(t, srv, me)
  const conversations: Conversation[] = []
  device.on('conversation:updated', (c) => conversations.push(c))
  const synced = next(device, 'synced')
  await device.connect()
  t.same(await synced, { messages: 1 })
  t.same(conversations.map((c) => c.id), [g])
  t.same(device.getCursors(), { [g]: 1 })

  const lonely = clientFor(t, srv, await registerUser(srv.app))
  const nothing = next(lonely, 'synced')
  await lonely.connect()
  t.same(await nothing, { messages: 0 }, 'synced also with nothing to catch up')
})
