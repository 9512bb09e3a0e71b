// suite: default only — pure logic: no database, Redis or second node is involved
import t from 'tap'
import { AppError } from '../../src/lib/errors.js'
import { createGroupCommit } from '../../src/lib/group-commit.js'

interface Item { key: string, n: number }

/** A commit that records its batches and finishes when told to. */
function recorder () {
  const batches: Item[][] = []
  const gates: Array<() => void> = []
  let hold = false
  return {
    batches,
    hold: (on: boolean) => { hold = on },
    release: () => { for (const open of gates.splice(0)) open() },
    commit: async (batch: Item[]): Promise<string[]> => {
      batches.push(batch)
      if (hold) await new Promise<void>((resolve) => gates.push(resolve))
      return batch.map((i) => `${i.key}${i.n}`)
    }
  }
}

const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

t.test('items of one I/O turn go in one batch; each gets its own result, in order', async (t) => {
  const r = recorder()
  const group = createGroupCommit<Item, string>({ commit: r.commit, concurrency: 1 })
  const results = await Promise.all([1, 2, 3].map(async (n) => await group.submit({ key: 'a', n })))
  t.same(results, ['a1', 'a2', 'a3'])
  t.equal(r.batches.length, 1)
  t.same(group.stats(), { inFlight: 0, queued: 0 })
})

t.test('items arriving while batches are in flight wait and go together, at most maxBatch each', async (t) => {
  const r = recorder()
  const group = createGroupCommit<Item, string>({ commit: r.commit, concurrency: 1, maxBatch: 2 })
  r.hold(true)
  const first = group.submit({ key: 'a', n: 0 })
  await tick()
  const rest = [1, 2, 3, 4, 5].map(async (n) => await group.submit({ key: 'a', n }))
  await tick()
  t.same(group.stats(), { inFlight: 1, queued: 5 }, 'one in flight, the rest wait')
  r.hold(false)
  r.release()
  t.same(await Promise.all([first, ...rest]), ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'])
  t.same(r.batches.map((b) => b.map((i) => i.n)), [[0], [1, 2], [3, 4], [5]])
})

t.test('a key is in one batch at a time and keeps its order; other keys go meanwhile', async (t) => {
  const r = recorder()
  const group = createGroupCommit<Item, string>({ commit: r.commit, concurrency: 2, keyOf: (i) => i.key })
  r.hold(true)
  const a0 = group.submit({ key: 'a', n: 0 })
  await tick()
  const later = [group.submit({ key: 'a', n: 1 }), group.submit({ key: 'b', n: 1 })]
  await tick()
  t.same(r.batches.map((b) => b.map((i) => i.key + i.n)), [['a0'], ['b1']], 'b goes in the second slot; a1 waits for a0')
  r.hold(false)
  r.release()
  await Promise.all([a0, ...later])
  t.same(r.batches.map((b) => b.map((i) => i.key + i.n)), [['a0'], ['b1'], ['a1']])
})

t.test('a failed batch rejects each of its items; later batches still run', async (t) => {
  let fail = true
  const group = createGroupCommit<number, number>({
    concurrency: 1,
    commit: async (batch) => {
      if (fail) throw new Error('boom')
      return batch.map((n) => n * 2)
    }
  })
  const failed = await Promise.allSettled([group.submit(1), group.submit(2)])
  t.same(failed.map((s) => s.status === 'rejected' ? (s.reason as Error).message : 'ok'), ['boom', 'boom'])
  fail = false
  t.equal(await group.submit(3), 6)
})

t.test('beyond maxQueued, RATE_LIMITED at once and nothing is queued', async (t) => {
  const r = recorder()
  const group = createGroupCommit<Item, string>({ commit: r.commit, concurrency: 1, maxQueued: 2, busyMessage: 'busy' })
  const settled = await Promise.allSettled([1, 2, 3].map(async (n) => await group.submit({ key: 'a', n })))
  const third = settled[2]
  t.ok(third?.status === 'rejected' && third.reason instanceof AppError)
  t.match(third?.status === 'rejected' ? (third.reason as AppError).toJSON() : undefined, { code: 'RATE_LIMITED', message: 'busy' })
  t.same(r.batches.flat().map((i) => i.n), [1, 2], 'the refused item never reached the commit')
})

t.test('idle waits for queued and in-flight batches', async (t) => {
  const r = recorder()
  const group = createGroupCommit<Item, string>({ commit: r.commit, concurrency: 1 })
  r.hold(true)
  void group.submit({ key: 'a', n: 1 })
  let idle = false
  const waiting = group.idle().then(() => { idle = true })
  await tick()
  await tick()
  t.equal(idle, false, 'not idle while a batch is in flight')
  r.hold(false)
  r.release()
  await waiting
  t.equal(idle, true)
  t.same(group.stats(), { inFlight: 0, queued: 0 })
})
