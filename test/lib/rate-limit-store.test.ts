import t from 'tap'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { REDIS_URL, servicesMode } from '../helper.js'
import { sharedRateLimitStore, type RateLimitStore } from '../../src/lib/rate-limit-store.js'

const incr = async (store: RateLimitStore, key: string, windowMs = 60_000): Promise<{ current: number, ttl: number }> =>
  await new Promise((resolve, reject) => {
    store.incr(key, (err, res) => { if (err !== null || res === null) reject(err ?? new Error('no result')); else resolve(res) }, windowMs, 10)
  })

/** A stand-in for an ioredis client: its status, and a command that answers or fails. */
function fakeRedis (status: string, command: (key: string) => Promise<[number, number]>): { redis: any, keys: string[] } {
  const keys: string[] = []
  return {
    keys,
    redis: {
      status,
      defineCommand: () => {},
      relayRateLimit: async (key: string) => { keys.push(key); return await command(key) }
    }
  }
}

const route = { routeInfo: { method: 'POST', url: '/api/auth/login' } }

t.test('while Redis is down the node counts on its own, per route and key', async (t) => {
  const { redis, keys } = fakeRedis('reconnecting', async () => { throw new Error('must not be called') })
  const Store = sharedRateLimitStore({ redis, namespace: 'ns:' })
  const login = new Store().child(route)
  const register = new Store().child({ routeInfo: { method: 'POST', url: '/api/auth/register' } })
  t.same([(await incr(login, 'ip1')).current, (await incr(login, 'ip1')).current, (await incr(login, 'ip2')).current], [1, 2, 1])
  t.equal((await incr(register, 'ip1')).current, 1, 'another route has its own count')
  t.same(keys, [], 'Redis was not asked')
})

t.test('a window ends after timeWindow', async (t) => {
  const { redis } = fakeRedis('end', async () => [0, 0])
  const store = new (sharedRateLimitStore({ redis, namespace: 'ns:' }))().child(route)
  t.equal((await incr(store, 'k', 50)).current, 1)
  t.equal((await incr(store, 'k', 50)).current, 2)
  await new Promise((resolve) => setTimeout(resolve, 80))
  t.equal((await incr(store, 'k', 50)).current, 1, 'a new window')
})

t.test('a failing Redis command falls back to counting here and is reported', async (t) => {
  const errors: unknown[] = []
  const { redis, keys } = fakeRedis('ready', async () => { throw new Error('READONLY') })
  const store = new (sharedRateLimitStore({ redis, namespace: 'ns:', onError: (err) => { errors.push(err) } }))().child(route)
  t.equal((await incr(store, 'ip')).current, 1)
  t.equal((await incr(store, 'ip')).current, 2)
  t.equal(errors.length, 2)
  t.same(keys, ['ns:POST/api/auth/login:ip', 'ns:POST/api/auth/login:ip'], 'keys carry the namespace and the route')
})

t.test('with Redis: stores on two connections share one count; another namespace does not', { skip: !servicesMode ? 'needs Redis' : false }, async (t) => {
  const a = new Redis(REDIS_URL)
  const b = new Redis(REDIS_URL)
  t.teardown(() => { a.disconnect(); b.disconnect() })
  const namespace = `test:${randomUUID()}:`
  const one = new (sharedRateLimitStore({ redis: a, namespace }))().child(route)
  const two = new (sharedRateLimitStore({ redis: b, namespace }))().child(route)
  const elsewhere = new (sharedRateLimitStore({ redis: b, namespace: `test:${randomUUID()}:` }))().child(route)
  t.equal((await incr(one, 'ip')).current, 1)
  t.equal((await incr(two, 'ip')).current, 2)
  const third = await incr(one, 'ip')
  t.equal(third.current, 3)
  t.ok(third.ttl > 0 && third.ttl <= 60_000, 'the window\'s time left')
  t.equal((await incr(elsewhere, 'ip')).current, 1)
  t.ok(await a.pttl(`${namespace}POST/api/auth/login:ip`) > 0, 'the key expires')
})
