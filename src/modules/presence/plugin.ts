import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import { createAnnouncer } from './announcer.js'
import { registerTypingEvents } from './typing-events.js'
import { createPresenceService } from './service.js'
import { createLocalTracker, createRedisTracker, HEARTBEAT_MS, type ConnectionTracker } from './tracker.js'

export interface PresenceStatus { online: boolean, lastSeenAt: string | null }

export interface Presence {
  /** Presence of each user: online on any node, else the stored lastSeenAt. Unknown ids are left out. */
  status: (userIds: readonly string[]) => Promise<Map<string, PresenceStatus>>
  /**
   * With Redis: heartbeats this node (rewriting its counts), then announces the users of nodes
   * that stopped heartbeating as offline; returns how many. Runs on a timer; exposed for
   * tests and operations.
   */
  sweep: () => Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance { presence: Presence }
}

/**
 * Online/offline per user across devices and nodes. A user comes online with their first
 * socket anywhere and goes offline with their last; on each change their friends receive
 * `presence` {userId, online, lastSeenAt}. Going offline stores users.last_seen_at; while
 * online, lastSeenAt is the end of the previous session (null if none). Also the `typing` event.
 */
export default fp(async (app) => {
  const service = createPresenceService(app.prisma)
  const redis = app.realtime.redis
  const tracker: ConnectionTracker = redis === undefined
    ? createLocalTracker()
    : createRedisTracker(redis, {
      nodeId: randomUUID(),
      onError: (err, what) => { app.log.warn({ err }, `${what} failed`) }
    })

  const announcer = createAnnouncer(
    app.sql,
    (friendIds, payload) => { app.realtime.toUsers(friendIds, 'presence', payload) },
    (err) => { app.log.error({ err }, 'presence announcement failed') }
  )
  const announce = announcer.announce

  app.realtime.onConnect(async (ctx) => {
    if (await tracker.connected(ctx.userId)) await announce(ctx.userId, true)
  })
  app.realtime.onDisconnect(async (ctx) => {
    if (await tracker.disconnected(ctx.userId)) await announce(ctx.userId, false)
  })
  registerTypingEvents(app.realtime, service)

  // Heartbeat first: this node is fresh, so it can never sweep itself (after a long stall).
  const sweep = async (): Promise<number> => {
    await tracker.heartbeat()
    const gone = await tracker.sweep()
    await Promise.all(gone.map(async ({ userId, lastSeenAt }) => { await announce(userId, false, lastSeenAt) }))
    return gone.length
  }

  app.decorate('presence', {
    status: async (userIds) => {
      const [online, lastSeen] = await Promise.all([tracker.online(userIds), service.lastSeen(userIds)])
      return new Map([...lastSeen].map(([id, lastSeenAt]) => [id, { online: online.has(id), lastSeenAt }]))
    },
    sweep
  } satisfies Presence)

  if (redis !== undefined) {
    const tick = async (): Promise<void> => {
      try {
        await sweep()
      } catch (err) {
        app.log.warn({ err }, 'presence heartbeat failed')
      }
    }
    // Live before the first socket arrives, so other nodes count this node's users.
    await tick()
    const timer = setInterval(() => { void tick() }, HEARTBEAT_MS).unref()
    // Runs after realtime's preClose, which waited for this node's disconnect hooks.
    app.addHook('onClose', async () => {
      clearInterval(timer)
      await announcer.idle()
      await tracker.stop().catch((err: unknown) => { app.log.warn({ err }, 'presence stop failed') })
    })
  }
}, { name: 'presence', dependencies: ['db', 'realtime'] })
