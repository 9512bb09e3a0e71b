// suite: default only — pure logic: no database, Redis or second node is involved
import t from 'tap'
import { uuidv7 } from '../../src/lib/uuid.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('version 7 layout: the time in the first 48 bits, version 7, RFC 9562 variant', async (t) => {
  const at = Date.UTC(2026, 10, 25, 12, 0, 0, 123)
  const id = uuidv7(at)
  t.match(id, UUID)
  t.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), at, 'milliseconds since the epoch, big-endian')
})

t.test('unique, and ordered by time across milliseconds', async (t) => {
  const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_700_000_000_000 + Math.floor(i / 10)))
  t.equal(new Set(ids).size, ids.length, 'no repeats (the random pool is refilled as it runs out)')
  const firstOfEachMs = ids.filter((_, i) => i % 10 === 0)
  t.same([...firstOfEachMs].sort(), firstOfEachMs, 'a later millisecond sorts after an earlier one')
  t.ok(ids.every((id) => UUID.test(id)))
})
