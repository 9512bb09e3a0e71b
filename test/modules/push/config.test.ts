// suite: default only — pure logic: no database, Redis or second node is involved
import t from 'tap'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import webpush from 'web-push'
import { ConfigError, loadConfig } from '../../../src/config.js'
import { tempDir } from '../../helper.js'

const JWT_SECRET = 'x'.repeat(40)

t.test('VAPID keys: generated once into DATA_DIR (0600) and reused; from config when set; never generated in production', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const first = loadConfig({ DATA_DIR: dataDir, JWT_SECRET })
  t.equal(first.vapid?.generated, true)
  t.equal(Buffer.from(first.vapid!.publicKey, 'base64url').length, 65)
  t.equal(statSync(join(dataDir, 'vapid-keys.json')).mode & 0o777, 0o600)
  t.same(loadConfig({ DATA_DIR: dataDir, JWT_SECRET }).vapid, first.vapid, 'reused')

  const keys = webpush.generateVAPIDKeys()
  const given = loadConfig({ DATA_DIR: dataDir, JWT_SECRET, VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey, VAPID_SUBJECT: 'https://example.com/contact' })
  t.same(given.vapid, { ...keys, subject: 'https://example.com/contact', generated: false })

  const prodDir = join(tempDir(t), 'prod')
  t.equal(loadConfig({ NODE_ENV: 'production', DATA_DIR: prodDir, JWT_SECRET }).vapid, undefined, 'production without keys: push off')
  t.notOk(existsSync(prodDir), 'nothing written')
  t.ok(loadConfig({ NODE_ENV: 'production', DATA_DIR: prodDir, JWT_SECRET, VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey }).vapid)

  t.throws(() => loadConfig({ DATA_DIR: dataDir, JWT_SECRET, VAPID_PUBLIC_KEY: keys.publicKey }), new ConfigError('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY go together'))
  t.throws(() => loadConfig({ DATA_DIR: dataDir, JWT_SECRET, VAPID_PUBLIC_KEY: 'short', VAPID_PRIVATE_KEY: keys.privateKey }), /VAPID_PUBLIC_KEY: must match pattern/)
  t.throws(() => loadConfig({ DATA_DIR: dataDir, JWT_SECRET, VAPID_SUBJECT: 'admin@example.com' }), /VAPID_SUBJECT: must match pattern/, 'subject must be mailto: or https:')
})

t.test('OUTBOUND_ALLOWED_HOSTS is parsed at start; a bad entry stops it', async (t) => {
  const dataDir = tempDir(t)
  const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET, OUTBOUND_ALLOWED_HOSTS: '127.0.0.1:8080, Hooks.Internal:443' })
  t.same([...config.outboundAllowedHosts].sort(), ['127.0.0.1:8080', 'hooks.internal:443'])
  t.throws(() => loadConfig({ DATA_DIR: dataDir, JWT_SECRET, OUTBOUND_ALLOWED_HOSTS: 'http://x/y' }), /OUTBOUND_ALLOWED_HOSTS: "http:\/\/x\/y" is not host:port/)
})
