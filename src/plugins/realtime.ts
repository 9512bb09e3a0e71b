import fp from 'fastify-plugin'
import { Server, type Socket } from 'socket.io'
import { createAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'
import type { IncomingMessage } from 'node:http'
import { Compile } from 'typebox/compile'
import { Type, type TSchema, type Static } from 'typebox'
import { AppError, Errors, rateLimited, toErrorBody, unauthorized, validation } from '../lib/errors.js'
import { originAllowed } from '../lib/origins.js'
import { TokenBucket } from '../lib/token-bucket.js'
import { issuedAtMs } from './auth.js'

/*
 * Session lifetime events (they extend the wire contract in PROTOCOL.md):
 *
 *   server -> client  `auth:expired` {expiresAt}
 *     The access token the socket authenticated with has expired. Unless the client sends
 *     `auth:refresh` within AUTH_EXPIRY_GRACE_MS, the server then disconnects the socket
 *     (reason "io server disconnect"); the client reconnects with a fresh token.
 *
 *   client -> server  `auth:refresh` {token} -> ack {expiresAt}
 *     Hands a new access token of the same user to the live socket (typically after
 *     POST /api/auth/refresh). It may be sent at any time, before or after `auth:expired`;
 *     the socket then lives until the new token's expiry (ISO time in the ack). A bad,
 *     expired or other user's token acks UNAUTHORIZED and leaves the old expiry in place.
 */

/** Time a client has, after `auth:expired`, to send `auth:refresh` before the cut. */
export const AUTH_EXPIRY_GRACE_MS = 3000
/** At shutdown, how long event handlers under way may take to finish before sockets close. */
const INFLIGHT_WAIT_MS = 3000
/** setTimeout fires at once beyond this; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** What a socket event handler knows about the caller. */
export interface SocketContext {
  userId: string
  socketId: string
  /** Emits to this socket only. */
  emit: (event: string, payload: unknown) => void
}

export interface EventDefinition<S extends TSchema = TSchema> {
  schema: S
  handler: (ctx: SocketContext, payload: Static<S>) => Promise<unknown>
}

/** Builds a typed event definition (keeps payload inference from the schema). */
export const defineEvent = <S extends TSchema>(schema: S, handler: EventDefinition<S>['handler']): EventDefinition<S> => ({ schema, handler })

export type Ack = { ok: true, data: unknown } | { ok: false, error: { code: string, message: string } }

/**
 * The small facade feature modules use for live delivery. Nothing else imports socket.io.
 * Emits go to user rooms (`user:<id>`), so every device of a user receives them, on any node.
 */
export type EventObserver = (event: string, outcome: string, seconds: number) => void

export interface Realtime {
  toUser: (userId: string, event: string, payload: unknown) => void
  toUsers: (userIds: readonly string[], event: string, payload: unknown) => void
  /** Registers client -> server events; payloads are validated before the handler runs. */
  handle: (events: Record<string, EventDefinition<any>>) => void
  /** Names of the registered client -> server events (read-only; tests fuzz every one). */
  eventNames: () => string[]
  /**
   * Called after a socket joined its user room / after it left. A socket's disconnect hooks
   * start only once its connect hooks have finished, and shutdown waits for both.
   */
  onConnect: (fn: (ctx: SocketContext) => Promise<void> | void) => void
  onDisconnect: (fn: (ctx: SocketContext) => Promise<void> | void) => void
  /** Observes every answered event: its name (registered ones; else 'unknown'), 'ok' or the error code, and the time from receipt to ack. */
  onEventAnswered: (fn: EventObserver) => void
  /** Disconnects every socket of a user (logout everywhere, deleted account). */
  disconnectUser: (userId: string) => void
  /**
   * Ends a user's sessions on every node (password change): access tokens of the user issued
   * before `atMs` stop verifying and the sockets that authenticated with one are disconnected.
   * Other nodes learn it over Redis (channel SESSIONS_CHANNEL) and reload the cutoffs from
   * the database whenever their subscription reconnects, so a lost message is caught up.
   */
  endSessions: (userId: string, atMs: number) => Promise<void>
  /** Local sockets of a user on this node. */
  localSocketCount: (userId: string) => number
  /** Present when REDIS_URL is set. */
  redis?: Redis
  redisPing?: () => Promise<boolean>
  stats: { unknownEvents: number, rateLimited: number, handlerErrors: number }
}

declare module 'fastify' {
  interface FastifyInstance { realtime: Realtime }
}

export const userRoom = (userId: string): string => `user:${userId}`

/** Redis channel of session cutoffs: `{"userId": …, "at": <epoch ms>}`. */
export const SESSIONS_CHANNEL = 'relay:sessions:ended'

const AuthRefreshEvent = Type.Object({ token: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false })

const firstHeader = (value: string | string[] | undefined): string | undefined =>
  (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim() || undefined

/** The client's address; behind a trusted proxy, the left-most X-Forwarded-For entry (as Fastify's request.ip). */
function clientIp (req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? firstHeader(req.headers['x-forwarded-for']) : undefined
  return forwarded ?? req.socket.remoteAddress ?? 'unknown'
}

function sameOrigin (req: IncomingMessage, origin: string, trustProxy: boolean): boolean {
  const host = (trustProxy ? firstHeader(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host
  if (host === undefined) return false
  try {
    return new URL(origin).host === host.toLowerCase()
  } catch {
    return false
  }
}

interface Session {
  socket: Socket
  /** Epoch ms at which the socket's access token expires. */
  expiresAt: number
  /** Epoch ms at which the socket's current access token was issued (see AccessClaims.iatMs). */
  issuedAt: number
  timer?: NodeJS.Timeout
}

export default fp(async (app) => {
  const { config } = app
  const trustProxy = config.TRUST_PROXY
  const connectionsPerIp = new Map<string, number>()
  /** Set at shutdown: no new sockets, so the HTTP server can close once the last one is gone. */
  let closing = false

  const io = new Server(app.server, {
    path: '/socket.io',
    maxHttpBufferSize: config.SOCKET_MAX_PAYLOAD_BYTES,
    serveClient: false,
    // A connection that never completes the Socket.IO handshake holds a slot of its IP.
    connectTimeout: 10_000,
    cors: { origin: (origin, cb) => { cb(null, origin === undefined || originAllowed(origin, config.allowedOrigins)) } },
    // Cross-site WebSocket hijacking: a browser always sends Origin; only same-origin or allowlisted pass.
    allowRequest: (req, cb) => {
      if (closing) {
        cb('Server shutting down', false)
        return
      }
      const origin = req.headers.origin
      if (origin !== undefined && !sameOrigin(req, origin, trustProxy) && !originAllowed(origin, config.allowedOrigins)) {
        cb('Origin not allowed', false)
        return
      }
      if ((connectionsPerIp.get(clientIp(req, trustProxy)) ?? 0) >= config.MAX_CONNECTIONS_PER_IP) {
        cb('Too many connections', false)
        return
      }
      cb(null, true)
    }
  })

  // Counted per Engine.IO connection (authenticated or not), released when it closes.
  io.engine.on('connection', (conn: { request: IncomingMessage, once: (event: 'close', fn: () => void) => void }) => {
    const ip = clientIp(conn.request, trustProxy)
    connectionsPerIp.set(ip, (connectionsPerIp.get(ip) ?? 0) + 1)
    conn.once('close', () => {
      const n = (connectionsPerIp.get(ip) ?? 1) - 1
      if (n <= 0) connectionsPerIp.delete(ip)
      else connectionsPerIp.set(ip, n)
    })
  })

  let pub: Redis | undefined
  let sub: Redis | undefined
  if (config.REDIS_URL !== undefined) {
    pub = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: true })
    sub = pub.duplicate()
    // The Redis adapter publishes without handling a failure; while Redis is down each emit's
    // rejected publish would be an unhandled rejection, which ends the process. Observe every
    // publish (callers that await one still get its rejection); missed live events are what
    // `sync` recovers.
    const publish = pub.publish.bind(pub)
    pub.publish = ((...args: Parameters<typeof publish>) => {
      const p = publish(...args)
      p.catch((err: unknown) => { app.log.warn({ err: (err as Error).message }, 'redis publish failed (clients catch up with sync)') })
      return p
    }) as typeof pub.publish
    // Connection errors are retried by ioredis; readiness reports them.
    pub.on('error', (err) => { app.log.warn({ err: err.message }, 'redis (pub) error') })
    sub.on('error', (err) => { app.log.warn({ err: err.message }, 'redis (sub) error') })
    io.adapter(createAdapter(pub, sub))
  }

  const handlers = new Map<string, { check: ReturnType<typeof Compile>, def: EventDefinition<any> }>()
  const connectHooks: Array<(ctx: SocketContext) => Promise<void> | void> = []
  const disconnectHooks: Array<(ctx: SocketContext) => Promise<void> | void> = []
  const stats = { unknownEvents: 0, rateLimited: 0, handlerErrors: 0 }
  const eventObservers: EventObserver[] = []
  const sessions = new Map<string, Session>()
  /** Event handlers running; shutdown lets them finish and ack before closing their sockets. */
  const inflight = new Set<Promise<void>>()
  /** Hook runs in flight; shutdown waits for them (presence writes lastSeenAt in one). */
  const pending = new Set<Promise<void>>()

  const track = (p: Promise<void>): Promise<void> => {
    pending.add(p)
    void p.finally(() => { pending.delete(p) })
    return p
  }

  const tokenIssuedAt = (token: string): number => issuedAtMs(app.jwt.decode<{ iat?: unknown, iatMs?: unknown }>(token))

  /** When the token expires: auth:expired, then the cut after the grace period unless refreshed. */
  const tokenExpiry = (token: string): number => {
    const exp = app.jwt.decode<{ exp?: unknown }>(token)?.exp
    return typeof exp === 'number' ? exp * 1000 : Date.now() + config.ACCESS_TOKEN_TTL_S * 1000
  }

  const armExpiry = (session: Session, expiresAt: number): void => {
    clearTimeout(session.timer)
    session.expiresAt = expiresAt
    const check = (): void => {
      const left = session.expiresAt - Date.now()
      if (left > 0) {
        session.timer = setTimeout(check, Math.min(left, MAX_TIMER_MS)).unref()
        return
      }
      session.socket.emit('auth:expired', { expiresAt: new Date(session.expiresAt).toISOString() })
      session.timer = setTimeout(() => { session.socket.disconnect(true) }, AUTH_EXPIRY_GRACE_MS).unref()
    }
    check()
  }

  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token
    try {
      if (typeof token !== 'string' || token === '') throw Errors.invalidToken()
      socket.data.userId = app.verifyAccessToken(token)
      socket.data.expiresAt = tokenExpiry(token)
      socket.data.issuedAt = tokenIssuedAt(token)
      next()
    } catch {
      next(new Error('UNAUTHORIZED'))
    }
  })

  const runHooks = async (hooks: typeof disconnectHooks, ctx: SocketContext): Promise<void> => {
    for (const hook of hooks) {
      try {
        await hook(ctx)
      } catch (err) {
        app.log.error({ err }, 'socket hook failed')
      }
    }
  }

  const handle: Realtime['handle'] = (events) => {
    for (const [name, def] of Object.entries(events)) {
      if (handlers.has(name)) throw new Error(`Socket event ${name} registered twice`)
      handlers.set(name, { check: Compile(def.schema), def })
    }
  }

  handle({
    'auth:refresh': defineEvent(AuthRefreshEvent, async (ctx, p) => {
      const userId = app.verifyAccessToken(p.token)
      if (userId !== ctx.userId) throw unauthorized('The token belongs to another user')
      const session = sessions.get(ctx.socketId)
      if (session === undefined) throw Errors.invalidToken()
      armExpiry(session, tokenExpiry(p.token))
      session.issuedAt = tokenIssuedAt(p.token)
      return { expiresAt: new Date(session.expiresAt).toISOString() }
    })
  })

  io.on('connection', (socket: Socket) => {
    // A handshake that was under way when shutdown began: reconnect elsewhere.
    if (closing) {
      socket.conn.close()
      return
    }
    const userId = socket.data.userId as string
    const ctx: SocketContext = { userId, socketId: socket.id, emit: (event, payload) => socket.emit(event, payload) }
    const bucket = new TokenBucket(config.SOCKET_EVENTS_PER_S * 2, config.SOCKET_EVENTS_PER_S)
    void socket.join(userRoom(userId))
    const session: Session = { socket, expiresAt: socket.data.expiresAt as number, issuedAt: socket.data.issuedAt as number }
    sessions.set(socket.id, session)
    armExpiry(session, session.expiresAt)

    socket.onAny((event: unknown, ...args: unknown[]) => {
      const last = args[args.length - 1]
      const ack = typeof last === 'function' ? last as (reply: Ack) => void : undefined
      const payload = ack === undefined ? args[0] : (args.length > 1 ? args[0] : undefined)
      const received = process.hrtime.bigint()
      const reply = (r: Ack): void => {
        if (ack !== undefined) ack(r)
        if (eventObservers.length > 0) {
          const name = typeof event === 'string' && handlers.has(event) ? event : 'unknown'
          const seconds = Number(process.hrtime.bigint() - received) / 1e9
          for (const fn of eventObservers) fn(name, r.ok ? 'ok' : r.error.code, seconds)
        }
      }
      const fail = (err: AppError): void => { reply({ ok: false, error: err.toJSON() }) }

      // Every event costs a token, unknown ones too: a flood is cut before any other work.
      if (!bucket.take()) {
        stats.rateLimited++
        fail(rateLimited('Too many events, slow down'))
        return
      }
      const entry = typeof event === 'string' ? handlers.get(event) : undefined
      if (entry === undefined) {
        stats.unknownEvents++
        fail(validation(`Unknown event ${typeof event === 'string' ? event.slice(0, 64) : ''}`))
        return
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        fail(validation('Payload must be an object'))
        return
      }
      if (!entry.check.Check(payload)) {
        const first = entry.check.Errors(payload)[0]
        fail(validation(`${first?.instancePath !== undefined && first.instancePath !== '' ? first.instancePath.slice(1) + ': ' : ''}${first?.message ?? 'invalid payload'}`))
        return
      }
      // Through a promise, so a handler that throws synchronously is answered like one that rejects.
      const run = Promise.resolve().then(async () => await entry.def.handler(ctx, payload)).then(
        (data) => { reply({ ok: true, data: data ?? {} }) },
        (err: unknown) => {
          if (!(err instanceof AppError)) {
            stats.handlerErrors++
            app.log.error({ err, event }, 'socket handler failed')
          }
          reply({ ok: false, error: toErrorBody(err) })
        }
      )
      inflight.add(run)
      void run.finally(() => { inflight.delete(run) })
    })

    const connected = track(runHooks(connectHooks, ctx))
    socket.on('disconnect', () => {
      clearTimeout(session.timer)
      sessions.delete(socket.id)
      track(connected.then(async () => { await runHooks(disconnectHooks, ctx) }))
    })
    // A cutoff that arrived between the handshake's token check and now.
    cutIfStale(session)
  })

  /** Disconnects this node's sockets whose token a cutoff ended (its own, or of every user after a reload). */
  const cutIfStale = (session: Session): void => {
    const at = app.accessTokenCutoffs.get(session.socket.data.userId as string)
    if (at !== undefined && session.issuedAt < at) session.socket.disconnect(true)
  }
  const cutStaleSockets = (userId?: string): void => {
    const ids = userId === undefined ? sessions.keys() : (io.sockets.adapter.rooms.get(userRoom(userId)) ?? [])
    for (const id of [...ids]) {
      const session = sessions.get(id)
      if (session !== undefined) cutIfStale(session)
    }
  }
  const applyCutoff = (userId: string, atMs: number): void => {
    app.accessTokenCutoffs.set(userId, atMs)
    cutStaleSockets(userId)
  }

  if (sub !== undefined) {
    const subscriber = sub
    // The adapter's own subscriptions live on this connection too: messages from one publisher
    // arrive in order, so a cutoff lands before that node sees any later request about the user.
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== SESSIONS_CHANNEL) return
      try {
        const { userId, at } = JSON.parse(message) as { userId?: unknown, at?: unknown }
        if (typeof userId === 'string' && typeof at === 'number') applyCutoff(userId, at)
      } catch (err) {
        app.log.warn({ err }, 'bad sessions message')
      }
    })
    // On every (re)connection: subscribe, and once the subscription is live read the database,
    // which holds every cutoff published while this node was not listening (at start, or
    // during a Redis outage). A cutoff committed later arrives as a message.
    const resync = (): void => {
      subscriber.subscribe(SESSIONS_CHANNEL)
        .then(async () => { await app.accessTokenCutoffs.reload() })
        .then(() => { cutStaleSockets() }, (err: unknown) => { app.log.error({ err }, 'loading session cutoffs failed') })
    }
    subscriber.on('ready', resync)
    if (subscriber.status === 'ready') resync()
  }

  const realtime: Realtime = {
    toUser: (userId, event, payload) => { io.to(userRoom(userId)).emit(event, payload) },
    toUsers: (userIds, event, payload) => {
      if (userIds.length > 0) io.to(userIds.map(userRoom)).emit(event, payload)
    },
    handle,
    eventNames: () => [...handlers.keys()],
    onConnect: (fn) => { connectHooks.push(fn) },
    onDisconnect: (fn) => { disconnectHooks.push(fn) },
    onEventAnswered: (fn) => { eventObservers.push(fn) },
    disconnectUser: (userId) => { io.in(userRoom(userId)).disconnectSockets(true) },
    endSessions: async (userId, atMs) => {
      applyCutoff(userId, atMs)
      if (pub === undefined) return
      try {
        await pub.publish(SESSIONS_CHANNEL, JSON.stringify({ userId, at: atMs }))
      } catch (err) {
        // The cutoff is in the database: other nodes load it when their subscription reconnects
        // or they restart; until then their copies of the old tokens live at most to expiry.
        app.log.error({ err, userId }, 'publishing a session cutoff failed')
      }
    },
    localSocketCount: (userId) => io.sockets.adapter.rooms.get(userRoom(userId))?.size ?? 0,
    redis: pub,
    redisPing: pub === undefined
      ? undefined
      : async () => {
        try {
          return (await Promise.race([pub.ping(), new Promise<string>((_resolve, reject) => setTimeout(() => { reject(new Error('timeout')) }, 1000).unref())])) === 'PONG'
        } catch {
          return false
        }
      },
    stats
  }
  app.decorate('realtime', realtime)

  // On shutdown the transports are closed without a Socket.IO DISCONNECT packet: clients see
  // "transport close" and reconnect (to another node), whereas disconnectSockets() would look
  // like a kick, after which clients must not reconnect. Disconnect hooks finish while the
  // database and Redis are still open. New connections are refused from here on: clients
  // that reconnect at once would otherwise land on this node again and hold the HTTP
  // server open (it only closes when its last connection has) until the shutdown timeout.
  app.addHook('preClose', async () => {
    closing = true
    // Sends under way get their ack on their own connection (bounded: a client that keeps
    // sending cannot hold the shutdown).
    const handlersDeadline = Date.now() + INFLIGHT_WAIT_MS
    while (inflight.size > 0 && Date.now() < handlersDeadline) {
      await Promise.race([Promise.allSettled([...inflight]), new Promise((resolve) => setTimeout(resolve, 50))])
    }
    for (const socket of io.sockets.sockets.values()) socket.conn.close()
    const deadline = Date.now() + 2000
    while (io.sockets.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    while (pending.size > 0) await Promise.allSettled([...pending])
  })
  app.addHook('onClose', async () => {
    await io.close()
    await Promise.allSettled([pub?.quit(), sub?.quit()])
  })
}, { name: 'realtime', dependencies: ['config', 'auth'] })
