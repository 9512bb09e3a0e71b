import type { FastifyBaseLogger } from 'fastify'
import { createAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'
import type { AppServer } from './types.js'

/** Redis channel of session cutoffs: `{"userId": …, "at": <epoch ms>}`. */
export const SESSIONS_CHANNEL = 'relay:sessions:ended'

export interface Cluster {
  pub: Redis
  sub: Redis
}

/**
 * Connects this node to the others: the Socket.IO Redis adapter carries every emit to the node
 * holding the recipient's socket.
 */
export function joinCluster (io: AppServer, url: string, log: FastifyBaseLogger): Cluster {
  const pub = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true })
  const sub = pub.duplicate()
  // The Redis adapter publishes without handling a failure; while Redis is down each emit's
  // rejected publish would be an unhandled rejection, which ends the process. Observe every
  // publish (callers that await one still get its rejection); missed live events are what
  // `sync` recovers.
  const publish = pub.publish.bind(pub)
  pub.publish = ((...args: Parameters<typeof publish>) => {
    const p = publish(...args)
    p.catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'redis publish failed (clients catch up with sync)') })
    return p
  }) as typeof pub.publish
  // Connection errors are retried by ioredis; readiness reports them.
  pub.on('error', (err) => { log.warn({ err: err.message }, 'redis (pub) error') })
  sub.on('error', (err) => { log.warn({ err: err.message }, 'redis (sub) error') })
  io.adapter(createAdapter(pub, sub))
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
 * later request about the user.
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
