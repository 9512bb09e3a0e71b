import type { Redis } from 'ioredis'

/**
 * A store for @fastify/rate-limit whose counters live in Redis, so every node spends one
 * budget per client (the plugin's own in-memory store gives each node a budget of its own: N
 * nodes behind a balancer let N times as many guesses through). While Redis is down or a
 * command fails, the node counts in memory instead: limits stay on, per node, rather than
 * failing open (no limit at all) or closed (no login while Redis is down).
 *
 * Fixed windows: the first hit of a key starts its window (PEXPIRE), later hits only count.
 */

type Result = { current: number, ttl: number }
type Callback = (err: Error | null, res: Result | null) => void

/** What @fastify/rate-limit calls on a store (its `store` option takes the constructor). */
export interface RateLimitStore {
  incr: (key: string, cb: Callback, timeWindow: number, max: number) => void
  child: (routeOptions: { routeInfo?: { method?: string | string[], url?: string } }) => RateLimitStore
}

const INCR_LUA = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return {current, tonumber(ARGV[1])}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`

const DOWN = new Set(['reconnecting', 'close', 'end'])

type WithCommand = Redis & { relayRateLimit: (key: string, windowMs: number) => Promise<[number, number]> }

/** The per-node fallback: the same fixed windows in a Map, swept as it grows. */
class MemoryCounters {
  private readonly windows = new Map<string, { current: number, resetAt: number }>()

  incr (key: string, timeWindow: number, now = Date.now()): Result {
    let w = this.windows.get(key)
    if (w === undefined || w.resetAt <= now) {
      if (this.windows.size >= 10_000) this.sweep(now)
      w = { current: 0, resetAt: now + timeWindow }
      this.windows.set(key, w)
    }
    w.current++
    return { current: w.current, ttl: w.resetAt - now }
  }

  private sweep (now: number): void {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key)
  }
}

export interface SharedStoreOptions {
  redis: Redis
  /** Prefix of every key, e.g. `relay:rl:`. */
  namespace: string
  /** Called when a count fell back to memory because Redis failed (not when it was simply down). */
  onError?: (err: unknown) => void
}

/** The constructor to hand to @fastify/rate-limit as `store`. */
export function sharedRateLimitStore (opts: SharedStoreOptions): new () => RateLimitStore {
  const redis = opts.redis as WithCommand
  if (typeof redis.relayRateLimit !== 'function') redis.defineCommand('relayRateLimit', { numberOfKeys: 1, lua: INCR_LUA })

  class Store implements RateLimitStore {
    private readonly memory = new MemoryCounters()
    private readonly prefix: string
    constructor (prefix: string) {
      this.prefix = prefix
    }

    incr (key: string, cb: Callback, timeWindow: number): void {
      const local = (): void => { cb(null, this.memory.incr(key, timeWindow)) }
      // Down (between reconnection attempts): count here at once rather than wait for retries.
      // While first connecting, the command waits in ioredis's queue.
      if (DOWN.has(redis.status)) {
        local()
        return
      }
      redis.relayRateLimit(this.prefix + key, timeWindow).then(
        ([current, ttl]) => { cb(null, { current, ttl }) },
        (err: unknown) => {
          opts.onError?.(err)
          local()
        }
      )
    }

    /** One key space per route, as the plugin's own stores do. */
    child (routeOptions: { routeInfo?: { method?: string | string[], url?: string } }): RateLimitStore {
      const method = [routeOptions.routeInfo?.method ?? ''].flat().join(',')
      return new Store(`${opts.namespace}${method}${routeOptions.routeInfo?.url ?? ''}:`)
    }
  }
  // The plugin constructs the store with its settings as argument; they are not needed here.
  return class extends Store {
    constructor () { super(opts.namespace) }
  }
}
