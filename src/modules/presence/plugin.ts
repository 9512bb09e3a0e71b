import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import { createAnnouncer } from './announcer.js'
import { registerTypingEvents } from './typing-events.js'
import { createPresenceService } from './service.js'
import { presenceSnapshot } from './snapshot.js'
import { HIDDEN_PRESENCE, presenceVisibleTo } from './visibility.js'
import { createLocalTracker, createRedisTracker, HEARTBEAT_MS, type ConnectionTracker } from './tracker.js'

export interface PresenceStatus { online: boolean, lastSeenAt: string | null, hidden?: true }

export interface Presence {
  /** Presence of each user: online on any node, else the stored lastSeenAt. Unknown ids are left out. For the server's own use (push); never shown as it is. */
  status: (userIds: readonly string[]) => Promise<Map<string, PresenceStatus>>
  /**
   * What `viewerId` may see of each user's presence (visibility.ts): the status, or
   * `{online: false, lastSeenAt: null, hidden: true}`. Unknown ids are left out.
   */
  statusFor: (viewerId: string, userIds: readonly string[]) => Promise<Map<string, PresenceStatus>>
  /** After a change of `userId`'s setting: tells their friends what they may now see (hidden, or the status). */
  republish: (userId: string) => Promise<void>
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
 * `presence` {userId, online, lastSeenAt} (unless they chose `nobody`: visibility.ts, which
 * also decides what REST shows of anyone's presence to whom). Going offline stores users.last_seen_at; while
 * online, lastSeenAt is the end of the previous session (null if none). Each socket gets
 * `presence:snapshot` once at connect (snapshot.ts): the state of its friends and direct peers,
 * so a client needs no HTTP read that could race the events. Also the `typing` event.
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
    (err) => { app.log.error({ err }, 'presence announcement failed') },
    app.config.APP_EVENTS_URL !== undefined
  )
  const announce = announcer.announce

  app.realtime.onConnect(async (ctx) => {
    if (await tracker.connected(ctx.userId)) await announce(ctx.userId, true)
    // The socket is in its user room already: every change after the snapshot's read reaches it as an event, after the snapshot.
    ctx.emit('presence:snapshot', { users: await presenceSnapshot(app.sql, tracker.online, ctx.userId) })
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

  const status = async (userIds: readonly string[]): Promise<Map<string, PresenceStatus>> => {
    const [online, lastSeen] = await Promise.all([tracker.online(userIds), service.lastSeen(userIds)])
    return new Map([...lastSeen].map(([id, lastSeenAt]) => [id, { online: online.has(id), lastSeenAt }]))
  }

  app.decorate('presence', {
    status,
    statusFor: async (viewerId, userIds) => {
      const all = await status(userIds)
      const visible = await presenceVisibleTo(app.sql, viewerId, [...all.keys()])
      return new Map([...all].map(([id, s]) => [id, visible.has(id) ? s : { ...HIDDEN_PRESENCE }]))
    },
    republish: async (userId) => {
      const [row] = await app.sql.query<{ visibility: string, friend_ids: string[] }>(
        'SELECT u.presence_visibility::text AS visibility, ARRAY(SELECT f.friend_id FROM friendships f WHERE f.user_id = u.id) AS friend_ids FROM users u WHERE u.id = $1::uuid',
        [userId], 'presence_republish')
      if (row === undefined || row.friend_ids.length === 0) return
      const now = (await status([userId])).get(userId) ?? { online: false, lastSeenAt: null }
      app.realtime.toUsers(row.friend_ids, 'presence', row.visibility === 'nobody' ? { userId, ...HIDDEN_PRESENCE } : { userId, ...now })
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
