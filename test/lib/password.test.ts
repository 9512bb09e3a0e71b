// suite: default only — pure logic: no database, Redis or second node is involved
import t from 'tap'
import { hashPassword, verifyPassword } from '../../src/lib/password.js'

t.test('hash is self-describing and salted', async (t) => {
  const a = await hashPassword('correct horse battery', 10)
  const b = await hashPassword('correct horse battery', 10)
  const parts = a.split('$')
  t.equal(parts.length, 6)
  t.same(parts.slice(0, 4), ['scrypt', '10', '8', '1'])
  t.equal(Buffer.from(parts[4]!, 'base64').length, 16, '16-byte salt')
  t.equal(Buffer.from(parts[5]!, 'base64').length, 32, '32-byte key')
  t.not(a, b, 'a fresh salt every time')
  t.notMatch(a, /correct horse/)
})

t.test('verifies the right password only', async (t) => {
  const h = await hashPassword('correct horse battery', 10)
  t.equal(await verifyPassword('correct horse battery', h), true)
  t.equal(await verifyPassword('correct horse batterY', h), false)
  t.equal(await verifyPassword('', h), false)
})

t.test('uses the parameters stored with the hash, not the current cost', async (t) => {
  const h = await hashPassword('pässwörd-ünïcode', 11)
  t.match(h, /^scrypt\$11\$/)
  t.equal(await verifyPassword('pässwörd-ünïcode', h), true)
  // NFC and NFD spell the same text: both verify.
  t.equal(await verifyPassword('pässwörd-ünïcode'.normalize('NFD'), h), true)
})

t.test('the default production cost (2^15) works within memory limits', async (t) => {
  const h = await hashPassword('x'.repeat(128), 15)
  t.equal(await verifyPassword('x'.repeat(128), h), true)
})

t.test('a malformed stored hash never matches and never throws', async (t) => {
  const good = await hashPassword('pw-12345678', 10)
  const [, n, r, p, salt, key] = good.split('$')
  const bad = [
    '',
    'plain-text',
    `bcrypt$${n}$${r}$${p}$${salt}$${key}`,
    `scrypt$${n}$${r}$${p}$${salt}`,
    `scrypt$x$${r}$${p}$${salt}$${key}`,
    `scrypt$99$${r}$${p}$${salt}$${key}`,
    `scrypt$${n}$0$${p}$${salt}$${key}`,
    `scrypt$${n}$${r}$${p}$$${key}`,
    `scrypt$${n}$${r}$${p}$${salt}$AAAA`
  ]
  for (const stored of bad) t.equal(await verifyPassword('pw-12345678', stored), false, JSON.stringify(stored))
})
