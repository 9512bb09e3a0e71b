// suite: default only — pure logic: no database, Redis or second node is involved
import t from 'tap'
import { createLimiter } from '../../src/lib/limiter.js'
import { AppError } from '../../src/lib/errors.js'

const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

t.test('at most `slots` tasks run at once, the rest start in order as slots free', async (t) => {
  const limiter = createLimiter(2, 100)
  const started: number[] = []
  const gates: Array<() => void> = []
  const tasks = [0, 1, 2, 3].map(async (i) => await limiter.run(async () => {
    started.push(i)
    await new Promise<void>((resolve) => { gates[i] = resolve })
    return i
  }))
  await tick()
  t.same(started, [0, 1], 'two run, two wait')
  t.same(limiter.stats(), { running: 2, waiting: 2 })
  gates[1]!()
  await tick(); await tick()
  t.same(started, [0, 1, 2], 'a freed slot goes to the first waiting task')
  gates[0]!(); gates[2]!()
  await tick(); await tick()
  gates[3]!()
  t.same(await Promise.all(tasks), [0, 1, 2, 3])
  t.same(limiter.stats(), { running: 0, waiting: 0 })
})

t.test('a failing task frees its slot; a full queue refuses with RATE_LIMITED and retryAfterMs', async (t) => {
  const limiter = createLimiter(1, 1)
  await t.rejects(limiter.run(async () => { throw new Error('boom') }), /boom/)
  let open!: () => void
  const first = limiter.run(async () => { await new Promise<void>((resolve) => { open = resolve }) })
  const second = limiter.run(async () => 'second')
  await tick()
  const refused = await limiter.run(async () => 'third').catch((err: unknown) => err)
  t.ok(refused instanceof AppError && refused.code === 'RATE_LIMITED', 'over maxWaiting: RATE_LIMITED')
  t.ok(refused instanceof AppError && typeof refused.retryAfterMs === 'number', 'with retryAfterMs')
  open()
  await first
  t.equal(await second, 'second', 'the waiting task still runs')
})
