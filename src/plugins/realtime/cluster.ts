import type { FastifyBaseLogger } from 'fastify'
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'
import type { AppServer } from './types.js'

/** Redis channel of session cutoffs: `{"userId": …, "at": <epoch ms>}`. */
export const SESSIONS_CHANNEL = 'relay:sessions:ended'

export interface Cluster {
  pub: Redis
  sub: Redis
}

export type AdapterKind = 'classic' | 'sharded'

/**
 * Wraps `client[method]` so that every call's rejection is logged: the Redis adapters call
 * publish, spublish, ssubscribe and sunsubscribe without handling a failure, and while Redis
 * is down each rejected call would be an unhandled rejection, which ends the process. Callers
 * that await a call still get its rejection.
 */
function observe (client: Redis, method: 'publish' | 'spublish' | 'ssubscribe' | 'sunsubscribe', what: string, log: FastifyBaseLogger): void {
  const original = (client[method] as (...args: unknown[]) => Promise<unknown>).bind(client)
  client[method] = ((...args: unknown[]) => {
    const p = original(...args)
    p.catch((err: unknown) => { log.warn({ err: (err as Error).message }, what) })
    return p
  }) as never
}

/**
 * Connects this node to the others: the Socket.IO Redis adapter carries every emit to the node
 * holding the recipient's socket.
 *   classic  PUBLISH to one channel pattern that every node subscribes to: every node
 *            receives (and decodes) every broadcast of the cluster.
 *   sharded  Redis 7 sharded pub/sub (SPUBLISH/SSUBSCRIBE) in the adapter's 'dynamic' mode:
 *            a node subscribes to a channel per room it holds sockets of (user and channel
 *            rooms; a socket's own id room excepted), and an emit to ONE room goes to that
 *            room's channel only. An emit to several rooms at once, socketsJoin/Leave and
 *            disconnectSockets go to the namespace channel, which every node receives.
 */
export function joinCluster (io: AppServer, url: string, log: FastifyBaseLogger, kind: AdapterKind): Cluster {
  const pub = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true })
  const sub = pub.duplicate()
  // Missed live events are what `sync` recovers; a room subscription lost while Redis is down
  // is renewed by ioredis on reconnection (it resubscribes every channel it holds).
  observe(pub, 'publish', 'redis publish failed (clients catch up with sync)', log)
  observe(pub, 'spublish', 'redis publish failed (clients catch up with sync)', log)
  observe(sub, 'ssubscribe', 'redis room subscribe failed (renewed when Redis reconnects)', log)
  observe(sub, 'sunsubscribe', 'redis room unsubscribe failed', log)
  // Connection errors are retried by ioredis; readiness reports them.
  pub.on('error', (err) => { log.warn({ err: err.message }, 'redis (pub) error') })
  sub.on('error', (err) => { log.warn({ err: err.message }, 'redis (sub) error') })
  if (kind === 'sharded') {
    // SSUBSCRIBE/SPUBLISH are Redis 7: an older server refuses them and no emit would cross nodes.
    pub.once('ready', () => {
      pub.info('server').then((info) => {
        const major = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0)
        if (major < 7) log.error({ redisVersion: /redis_version:([^\r\n]+)/.exec(info)?.[1] }, 'REDIS_ADAPTER=sharded needs Redis 7 or later (sharded pub/sub): emits will not cross nodes; set REDIS_ADAPTER=classic')
      }).catch(() => {})
    })
  }
  io.adapter(kind === 'sharded'
    ? createShardedAdapter(pub, sub, { subscriptionMode: 'dynamic' })
    : createAdapter(pub, sub))
  return { pub, sub }
}

export interface SessionsListener {
  /** A cutoff published by a node (this one included). */
  onCutoff: (userId: string, atMs: number) => void
  /** The subscription is live (again): load every cutoff stored meanwhile. */
  onResync: () => Promise<void>
}

/**
 * Session cutoffs between nodes. The adapter's own subscriptions live on the same connection:
 * messages from one publisher arrive in order, so a cutoff lands before that node sees any
 * later request about the user. That holds for both adapters on one Redis server: the cutoff
 * is a plain PUBLISH and the sharded adapter's emits are SPUBLISH, but both go out on the same
 * `pub` connection, Redis runs one connection's commands in order and writes each message into
 * the subscriber's (the same `sub` connection's) output at the time the command runs, whatever
 * its kind. (On a Redis Cluster it would not hold: SPUBLISH goes to the slot's shard, PUBLISH
 * over the cluster bus; this server connects to one Redis.)
 */
export function listenSessions ({ sub }: Cluster, listener: SessionsListener, log: FastifyBaseLogger): void {
  sub.on('message', (channel: string, message: string) => {
    if (channel !== SESSIONS_CHANNEL) return
    try {
      const { userId, at } = JSON.parse(message) as { userId?: unknown, at?: unknown }
      if (typeof userId === 'string' && typeof at === 'number') listener.onCutoff(userId, at)
    } catch (err) {
      log.warn({ err }, 'bad sessions message')
    }
  })
  // On every (re)connection: subscribe, and once the subscription is live read the database,
  // which holds every cutoff published while this node was not listening (at start, or
  // during a Redis outage). A cutoff committed later arrives as a message.
  const resync = (): void => {
    sub.subscribe(SESSIONS_CHANNEL)
      .then(async () => { await listener.onResync() })
      .catch((err: unknown) => { log.error({ err }, 'loading session cutoffs failed') })
  }
  sub.on('ready', resync)
  if (sub.status === 'ready') resync()
}

/** Tells the other nodes about a cutoff; a failure is logged (they catch up on their next resync). */
export async function publishCutoff ({ pub }: Cluster, userId: string, atMs: number, log: FastifyBaseLogger): Promise<void> {
  try {
    await pub.publish(SESSIONS_CHANNEL, JSON.stringify({ userId, at: atMs }))
  } catch (err) {
    // The cutoff is in the database: other nodes load it when their subscription reconnects
    // or they restart; until then their copies of the old tokens live at most to expiry.
    log.error({ err, userId }, 'publishing a session cutoff failed')
  }
}

/** Redis answers within a second (readiness). */
export async function redisPing ({ pub }: Cluster): Promise<boolean> {
  try {
    return (await Promise.race([pub.ping(), new Promise<string>((_resolve, reject) => setTimeout(() => { reject(new Error('timeout')) }, 1000).unref())])) === 'PONG'
  } catch {
    return false
  }
}
