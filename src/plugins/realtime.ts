import fp from 'fastify-plugin'
import { Server, type Socket } from 'socket.io'
import { createAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'
import type { IncomingMessage } from 'node:http'
import { Compile } from 'typebox/compile'
import type { TSchema, Static } from 'typebox'
import { AppError, Errors, rateLimited, toErrorBody, validation } from '../lib/errors.js'
import { originAllowed } from '../lib/origins.js'
import { TokenBucket } from '../lib/token-bucket.js'

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
export interface Realtime {
  toUser: (userId: string, event: string, payload: unknown) => void
  toUsers: (userIds: readonly string[], event: string, payload: unknown) => void
  /** Registers client -> server events; payloads are validated before the handler runs. */
  handle: (events: Record<string, EventDefinition<any>>) => void
  /** Called after a socket joined its user room / after it left. */
  onConnect: (fn: (ctx: SocketContext) => Promise<void> | void) => void
  onDisconnect: (fn: (ctx: SocketContext) => Promise<void> | void) => void
  /** Disconnects every socket of a user (logout everywhere, deleted account). */
  disconnectUser: (userId: string) => void
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

function sameOrigin (req: IncomingMessage, origin: string): boolean {
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}

export default fp(async (app) => {
  const { config } = app
  const connectionsPerIp = new Map<string, number>()

  const io = new Server(app.server, {
    path: '/socket.io',
    maxHttpBufferSize: config.SOCKET_MAX_PAYLOAD_BYTES,
    serveClient: false,
    cors: { origin: (origin, cb) => { cb(null, origin === undefined || originAllowed(origin, config.allowedOrigins)) } },
    // Cross-site WebSocket hijacking: a browser always sends Origin; only same-origin or allowlisted pass.
    allowRequest: (req, cb) => {
      const origin = req.headers.origin
      if (origin !== undefined && !sameOrigin(req, origin) && !originAllowed(origin, config.allowedOrigins)) {
        cb('Origin not allowed', false)
        return
      }
      const ip = req.socket.remoteAddress ?? 'unknown'
      if ((connectionsPerIp.get(ip) ?? 0) >= config.MAX_CONNECTIONS_PER_IP) {
        cb('Too many connections', false)
        return
      }
      cb(null, true)
    }
  })

  let pub: Redis | undefined
  let sub: Redis | undefined
  if (config.REDIS_URL !== undefined) {
    pub = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: true })
    sub = pub.duplicate()
    // Connection errors are retried by ioredis; readiness reports them.
    pub.on('error', (err) => { app.log.warn({ err: err.message }, 'redis (pub) error') })
    sub.on('error', (err) => { app.log.warn({ err: err.message }, 'redis (sub) error') })
    io.adapter(createAdapter(pub, sub))
  }

  const handlers = new Map<string, { check: ReturnType<typeof Compile>, def: EventDefinition<any> }>()
  const connectHooks: Array<(ctx: SocketContext) => Promise<void> | void> = []
  const disconnectHooks: Array<(ctx: SocketContext) => Promise<void> | void> = []
  const stats = { unknownEvents: 0, rateLimited: 0, handlerErrors: 0 }

  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token
    try {
      if (typeof token !== 'string' || token === '') throw Errors.invalidToken()
      socket.data.userId = app.verifyAccessToken(token)
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

  io.on('connection', (socket: Socket) => {
    const userId = socket.data.userId as string
    const ip = socket.request.socket.remoteAddress ?? 'unknown'
    connectionsPerIp.set(ip, (connectionsPerIp.get(ip) ?? 0) + 1)
    const ctx: SocketContext = { userId, socketId: socket.id, emit: (event, payload) => socket.emit(event, payload) }
    const bucket = new TokenBucket(config.SOCKET_EVENTS_PER_S * 2, config.SOCKET_EVENTS_PER_S)
    void socket.join(userRoom(userId))

    socket.onAny((event: unknown, ...args: unknown[]) => {
      const last = args[args.length - 1]
      const ack = typeof last === 'function' ? last as (reply: Ack) => void : undefined
      const payload = ack === undefined ? args[0] : (args.length > 1 ? args[0] : undefined)
      const reply = (r: Ack): void => { if (ack !== undefined) ack(r) }
      const fail = (err: AppError): void => { reply({ ok: false, error: err.toJSON() }) }

      const entry = typeof event === 'string' ? handlers.get(event) : undefined
      if (entry === undefined) {
        stats.unknownEvents++
        fail(validation(`Unknown event ${typeof event === 'string' ? event.slice(0, 64) : ''}`))
        return
      }
      if (!bucket.take()) {
        stats.rateLimited++
        fail(rateLimited('Too many events, slow down'))
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
      entry.def.handler(ctx, payload).then(
        (data) => { reply({ ok: true, data: data ?? {} }) },
        (err: unknown) => {
          if (!(err instanceof AppError)) {
            stats.handlerErrors++
            app.log.error({ err, event }, 'socket handler failed')
          }
          reply({ ok: false, error: toErrorBody(err) })
        }
      )
    })

    socket.on('disconnect', () => {
      const n = (connectionsPerIp.get(ip) ?? 1) - 1
      if (n <= 0) connectionsPerIp.delete(ip)
      else connectionsPerIp.set(ip, n)
      void runHooks(disconnectHooks, ctx)
    })
    void runHooks(connectHooks, ctx)
  })

  const realtime: Realtime = {
    toUser: (userId, event, payload) => { io.to(userRoom(userId)).emit(event, payload) },
    toUsers: (userIds, event, payload) => {
      if (userIds.length > 0) io.to(userIds.map(userRoom)).emit(event, payload)
    },
    handle: (events) => {
      for (const [name, def] of Object.entries(events)) {
        if (handlers.has(name)) throw new Error(`Socket event ${name} registered twice`)
        handlers.set(name, { check: Compile(def.schema), def })
      }
    },
    onConnect: (fn) => { connectHooks.push(fn) },
    onDisconnect: (fn) => { disconnectHooks.push(fn) },
    disconnectUser: (userId) => { io.in(userRoom(userId)).disconnectSockets(true) },
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

  // Sockets are told to go (clients reconnect elsewhere) before the HTTP server closes.
  app.addHook('preClose', async () => {
    io.local.disconnectSockets(true)
  })
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => { void io.close(() => { resolve() }) })
    await Promise.allSettled([pub?.quit(), sub?.quit()])
  })
}, { name: 'realtime', dependencies: ['config', 'auth'] })
