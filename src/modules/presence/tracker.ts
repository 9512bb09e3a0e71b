import type { Redis } from 'ioredis'

/**
 * Who is connected: counts of open sockets per user, in process (one node) or in Redis
 * (many nodes). A user is online while they have a socket on any live node.
 */
export interface ConnectionTracker {
  /** A socket of the user connected here; true when the user was online nowhere before. */
  connected: (userId: string) => Promise<boolean>
  /** A socket of the user left; true when it was the user's last one anywhere. */
  disconnected: (userId: string) => Promise<boolean>
  /** Which of `userIds` are online. */
  online: (userIds: readonly string[]) => Promise<Set<string>>
  /** Tells the other nodes this one is alive (Redis only). */
  heartbeat: () => Promise<void>
  /** Claims nodes that stopped heartbeating; returns their users who are now online nowhere. */
  sweep: () => Promise<Array<{ userId: string, lastSeenAt: Date }>>
  /** Leaves the cluster (graceful shutdown, after this node's sockets are gone). */
  stop: () => Promise<void>
}

/** Per-user socket counts of this node. */
class LocalCounts {
  readonly counts = new Map<string, number>()

  /** Returns the new count. */
  add (userId: string): number {
    const n = (this.counts.get(userId) ?? 0) + 1
    this.counts.set(userId, n)
    return n
  }

  /** Returns the new count, or undefined if the user had no socket here. */
  remove (userId: string): number | undefined {
    const n = this.counts.get(userId)
    if (n === undefined) return undefined
    if (n <= 1) this.counts.delete(userId)
    else this.counts.set(userId, n - 1)
    return n - 1
  }

  has (userId: string): boolean { return this.counts.has(userId) }
}

export function createLocalTracker (): ConnectionTracker {
  const local = new LocalCounts()
  return {
    connected: async (userId) => local.add(userId) === 1,
    disconnected: async (userId) => local.remove(userId) === 0,
    online: async (userIds) => new Set(userIds.filter((id) => local.has(id))),
    heartbeat: async () => {},
    sweep: async () => [],
    stop: async () => {}
  }
}

// ---- Redis -------------------------------------------------------------------------------
//
// `presence:nodes` is a sorted set of node ids scored by their last heartbeat (Redis TIME, ms);
// `presence:node:<nodeId>` is a hash userId -> number of sockets on that node. A node is live
// while its heartbeat is younger than STALE_MS. Each node writes only its own hash, always
// with absolute counts from its in-process map, so a retried command is harmless and every
// heartbeat rewrites the hash whole (repairing a Redis restart or a wrongful sweep).
// Transitions are decided inside one Lua script (set my count, then look at the other live
// nodes), so two nodes connecting the same user at once announce "online" exactly once.
// The scripts read keys they are not given in KEYS: one Redis, not Redis Cluster.

export const HEARTBEAT_MS = 10_000
export const STALE_MS = 30_000
/** A node hash outlives its node this long at most, should no other node sweep it. */
const NODE_TTL_S = 24 * 3600
/** Users per status script call (Lua unpack limits). */
const CHUNK = 1000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`

/** KEYS: nodes, my hash. ARGV: nodeId, userId, count, staleMs, nodePrefix, check. */
const SET_SCRIPT = `
local count = tonumber(ARGV[3])
if count > 0 then redis.call('HSET', KEYS[2], ARGV[2], count) else redis.call('HDEL', KEYS[2], ARGV[2]) end
if ARGV[6] ~= '1' then return 0 end
${NOW}
local nodes = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[4]), '+inf')
for _, node in ipairs(nodes) do
  if node ~= ARGV[1] then
    local c = tonumber(redis.call('HGET', ARGV[5] .. node, ARGV[2]) or '0')
    if c ~= nil and c > 0 then return 0 end
  end
end
return 1`

/** KEYS: nodes. ARGV: staleMs, nodePrefix, userIds... Returns 1/0 per user. */
const STATUS_SCRIPT = `
${NOW}
local nodes = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf')
local n = #ARGV - 2
local out = {}
for i = 1, n do out[i] = 0 end
for _, node in ipairs(nodes) do
  local vals = redis.call('HMGET', ARGV[2] .. node, unpack(ARGV, 3))
  for i = 1, n do
    local c = tonumber(vals[i] or '0')
    if c ~= nil and c > 0 then out[i] = 1 end
  end
end
return out`

/** KEYS: nodes, my hash. ARGV: nodeId, ttlS, userId, count, userId, count... */
const HEARTBEAT_SCRIPT = `
${NOW}
redis.call('DEL', KEYS[2])
for i = 3, #ARGV, 1000 do
  redis.call('HSET', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
return now`

/** KEYS: nodes. ARGV: staleMs, nodePrefix, max nodes. Returns {{nodeId, lastBeatMs, {userId, count, ...}}, ...}. */
const SWEEP_SCRIPT = `
${NOW}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[1])), 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i = 1, #dead, 2 do
  local key = ARGV[2] .. dead[i]
  redis.call('ZREM', KEYS[1], dead[i])
  table.insert(out, { dead[i], dead[i + 1], redis.call('HGETALL', key) })
  redis.call('DEL', key)
end
return out`

export interface RedisTrackerOptions {
  nodeId: string
  /** Key prefix; tests may isolate themselves with their own. */
  prefix?: string
  staleMs?: number
  onError: (err: unknown, what: string) => void
}

export function createRedisTracker (redis: Redis, opts: RedisTrackerOptions): ConnectionTracker {
  const prefix = opts.prefix ?? 'presence:'
  const staleMs = opts.staleMs ?? STALE_MS
  const nodesKey = `${prefix}nodes`
  const nodePrefix = `${prefix}node:`
  const myKey = nodePrefix + opts.nodeId
  const local = new LocalCounts()

  // The count is sent in the same tick as the local change, and one connection keeps
  // commands in order, so Redis always holds this node's counts in the order they happened.
  const set = async (userId: string, count: number, check: boolean, fallback: boolean): Promise<boolean> => {
    try {
      const r = await redis.eval(SET_SCRIPT, 2, nodesKey, myKey, opts.nodeId, userId, count, staleMs, nodePrefix, check ? 1 : 0)
      return Number(r) === 1
    } catch (err) {
      // Redis away: judge by this node alone; the next heartbeat repairs the hash.
      opts.onError(err, 'presence update')
      return fallback
    }
  }

  const online = async (userIds: readonly string[]): Promise<Set<string>> => {
    const result = new Set<string>()
    try {
      for (let i = 0; i < userIds.length; i += CHUNK) {
        const ids = userIds.slice(i, i + CHUNK)
        const flags = await redis.eval(STATUS_SCRIPT, 1, nodesKey, staleMs, nodePrefix, ...ids) as number[]
        ids.forEach((id, j) => { if (flags[j] === 1) result.add(id) })
      }
    } catch (err) {
      opts.onError(err, 'presence status')
      for (const id of userIds) if (local.has(id)) result.add(id)
    }
    return result
  }

  return {
    connected: async (userId) => {
      const n = local.add(userId)
      return await set(userId, n, n === 1, n === 1)
    },
    disconnected: async (userId) => {
      const n = local.remove(userId)
      if (n === undefined) return false
      return await set(userId, n, n === 0, n === 0)
    },
    online,
    heartbeat: async () => {
      const args = [nodesKey, myKey, opts.nodeId, String(NODE_TTL_S)]
      for (const [userId, n] of local.counts) args.push(userId, String(n))
      // One array argument, flattened by ioredis: spreading a big node's users would overflow the stack.
      await redis.eval(HEARTBEAT_SCRIPT, 2, args)
    },
    sweep: async () => {
      const claimed = await redis.eval(SWEEP_SCRIPT, 1, nodesKey, staleMs, nodePrefix, 10) as Array<[string, string, string[]]>
      const lastSeen = new Map<string, Date>()
      for (const [, lastBeat, entries] of claimed) {
        const at = new Date(Number(lastBeat))
        for (let i = 0; i + 1 < entries.length; i += 2) {
          const userId = entries[i] as string
          if (Number(entries[i + 1]) > 0 && UUID.test(userId)) lastSeen.set(userId, at)
        }
      }
      if (lastSeen.size === 0) return []
      const stillOnline = await online([...lastSeen.keys()])
      return [...lastSeen].filter(([userId]) => !stillOnline.has(userId)).map(([userId, at]) => ({ userId, lastSeenAt: at }))
    },
    stop: async () => {
      await redis.multi().del(myKey).zrem(nodesKey, opts.nodeId).exec()
    }
  }
}
