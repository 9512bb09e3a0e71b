// suite: default only — pure logic: no database, Redis or second node is involved
import t from 'tap'
import { TokenCutoffs } from '../../src/lib/token-cutoffs.js'

t.test('a token issued before the cutoff is revoked, at or after it is not', async (t) => {
  const c = new TokenCutoffs(1000)
  t.equal(c.revoked('u', 5), false, 'no cutoff, nothing revoked')
  t.equal(c.set('u', 100, 100), true)
  t.equal(c.revoked('u', 99, 150), true)
  t.equal(c.revoked('u', 100, 150), false)
  t.equal(c.revoked('u', 101, 150), false)
  t.equal(c.revoked('other', 0, 150), false, 'per user')
})

t.test('a later cutoff wins; an earlier one changes nothing', async (t) => {
  const c = new TokenCutoffs(1000)
  c.set('u', 200, 200)
  t.equal(c.set('u', 100, 200), false)
  t.equal(c.get('u', 200), 200)
  t.equal(c.set('u', 300, 300), true)
  t.equal(c.get('u', 300), 300)
})

t.test('entries are dropped once every token they could refuse has expired', async (t) => {
  const c = new TokenCutoffs(1000)
  t.equal(c.set('old', 0, 1000), false, 'already irrelevant when it arrives')
  c.set('a', 100, 100)
  c.set('b', 500, 500)
  t.equal(c.size, 2)
  t.equal(c.get('a', 1099), 100)
  t.equal(c.get('a', 1100), undefined, 'a is gone at cutoff + ttl')
  t.equal(c.size, 1)
  c.prune(1500)
  t.equal(c.size, 0, 'prune drops the rest')
})
