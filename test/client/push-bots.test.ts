// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { randomBytes, webcrypto } from 'node:crypto'
import { ClientError, createClient } from '@relay-im/client'
import { befriend, registerUser } from '../helper.js'
import { clientFor, group, next, server } from './fixtures.js'

/**
 * The SDK's push-subscription and bot methods against the real server (contract section 4):
 * each method, its errors as ClientErrors, and a bot that connects with its token, is added
 * to a group and talks there.
 */

const PUSH_HOST = 'push.example.test'
const HOOK_HOST = 'hooks.example.test'
const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url')

/** What a browser's `PushSubscription.toJSON()` gives, with real key material. */
async function browserSubscription (): Promise<{ endpoint: string, expirationTime: null, keys: { p256dh: string, auth: string } }> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])
  const raw = new Uint8Array(await webcrypto.subtle.exportKey('raw', pair.publicKey))
  return { endpoint: `https://${PUSH_HOST}/send/${b64url(randomBytes(12))}`, expirationTime: null, keys: { p256dh: b64url(raw), auth: b64url(randomBytes(16)) } }
}

t.test('push subscriptions: key, subscribe, list, delete; bad input is VALIDATION', async (t) => {
  const srv = await server(t, { OUTBOUND_ALLOWED_HOSTS: `${PUSH_HOST}:443,${HOOK_HOST}:443` })
  const alice = await registerUser(srv.app)
  const client = clientFor(t, srv, alice)

  const key = await client.getVapidPublicKey()
  const bytes = Buffer.from(key, 'base64url')
  t.equal(bytes.length, 65, 'an uncompressed P-256 point')
  t.equal(bytes[0], 4)

  const sub = await browserSubscription()
  const { id } = await client.subscribePush(sub)
  t.match(id, /^[0-9a-f-]{36}$/)
  const list = await client.listPushSubscriptions()
  t.same(list.map((s) => [s.id, s.endpoint, s.expirationTime]), [[id, sub.endpoint, null]])
  t.type(list[0]?.createdAt, 'string')

  const bad = await client.subscribePush({ ...sub, endpoint: sub.endpoint + 'x', keys: { p256dh: 'not base64url!', auth: sub.keys.auth } }).catch((e: unknown) => e)
  t.ok(bad instanceof ClientError)
  t.match(bad, { code: 'VALIDATION', status: 400 })
  const plain = await client.subscribePush({ ...(await browserSubscription()), endpoint: 'http://push.elsewhere.test/x' }).catch((e: unknown) => e)
  t.match(plain, { code: 'VALIDATION' }, 'not https and not an allowed host')
  t.match(await client.subscribePush({}).catch((e: unknown) => e), { code: 'VALIDATION' }, 'an empty toJSON() shape')
  const short = await browserSubscription()
  t.match(await client.subscribePush({ ...short, keys: { ...short.keys, auth: b64url(randomBytes(8)) } }).catch((e: unknown) => e), { code: 'VALIDATION' }, 'auth secret of the wrong length')
  t.equal((await client.listPushSubscriptions()).length, 1, 'nothing written by the bad calls')

  await client.deletePushSubscription(id)
  t.same(await client.listPushSubscriptions(), [])
  t.match(await client.deletePushSubscription(id).catch((e: unknown) => e), { code: 'NOT_FOUND', status: 404 })
})

t.test('bots: create, connect with the token, talk in a group, webhook, delete', async (t) => {
  const srv = await server(t, { OUTBOUND_ALLOWED_HOSTS: `${PUSH_HOST}:443,${HOOK_HOST}:443` })
  const alice = await registerUser(srv.app)
  const bob = await registerUser(srv.app)
  await befriend(srv.app, alice, bob)
  const owner = clientFor(t, srv, alice)
  const username = `bot${process.pid}_${Math.floor(Math.random() * 1e6)}`

  const { bot, token } = await owner.createBot({ username, displayName: 'Helper' })
  t.match(bot, { username, displayName: 'Helper', isBot: true })
  t.type(token, 'string')
  t.ok((await owner.listBots()).some((b) => b.id === bot.id), 'listed for its owner')
  t.match(await owner.createBot({ username, displayName: 'Again' }).catch((e: unknown) => e), { code: 'CONFLICT' }, 'username taken')
  t.match(await owner.createBot({ username: 'x', displayName: '' }).catch((e: unknown) => e), { code: 'VALIDATION' })

  const botClient = createClient({ url: srv.url, botToken: token, reconnect: { baseMs: 50, maxMs: 400 } })
  t.teardown(() => { botClient.close() })
  t.match(await botClient.me(), { id: bot.id, isBot: true })
  const conversationId = await group(srv.app, alice, [bob, { id: bot.id } as never])
  await botClient.connect()
  t.equal(botClient.status, 'online', 'the socket accepts the bot token')

  const bobClient = clientFor(t, srv, bob)
  await bobClient.connect()
  const seen = next(bobClient, 'message:new', (m) => m.senderId === bot.id)
  const ack = await botClient.send({ conversationId, type: 'text', content: 'beep' })
  t.match(await seen, { id: ack.id, conversationId, content: 'beep' })

  t.match(await owner.setWebhook(bot.id, { url: `https://${HOOK_HOST}/relay`, secret: 'a long random secret, 32+ chars!' }), { id: bot.id, webhook: { url: `https://${HOOK_HOST}/relay` } })
  t.match((await owner.listBots()).find((b) => b.id === bot.id), { webhook: { url: `https://${HOOK_HOST}/relay` } })
  t.match(await owner.setWebhook(bot.id, { url: `https://${HOOK_HOST}/relay`, secret: 'short' }).catch((e: unknown) => e), { code: 'VALIDATION' }, 'secret too short')
  t.match(await owner.setWebhook(bot.id, { url: 'https://127.0.0.1/hook', secret: 'a long random secret, 32+ chars!' }).catch((e: unknown) => e), { code: 'VALIDATION' }, 'loopback refused')
  t.ok(Array.isArray(await owner.listDeliveries(bot.id, { limit: 10 })))
  t.match(await owner.listDeliveries(bot.id, { limit: 0 }).catch((e: unknown) => e), { code: 'VALIDATION' })
  await owner.deleteWebhook(bot.id)

  // Not the owner: the bot's routes are not bob's.
  t.match(await bobClient.listDeliveries(bot.id).catch((e: unknown) => e), { status: 404 })

  // A rotated token replaces the old one at once.
  const { token: rotated } = await owner.rotateBotToken(bot.id)
  t.not(rotated, token)
  const old = createClient({ url: srv.url, botToken: token })
  t.teardown(() => { old.close() })
  t.match(await old.me().catch((e: unknown) => e), { code: 'UNAUTHORIZED' }, 'the old token is refused')
  const renewed = createClient({ url: srv.url, botToken: rotated })
  t.teardown(() => { renewed.close() })
  t.equal((await renewed.me()).id, bot.id)

  await owner.deleteBot(bot.id)
  t.notOk((await owner.listBots()).some((b) => b.id === bot.id))
  const after = createClient({ url: srv.url, botToken: rotated })
  t.teardown(() => { after.close() })
  t.match(await after.me().catch((e: unknown) => e), { code: 'UNAUTHORIZED' }, 'a deleted bot\'s token is refused')
})
