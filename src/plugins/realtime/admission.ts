import type { FastifyInstance } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { ServerOptions } from 'socket.io'
import type { AppServer, AppSocket } from './types.js'
import type { Config } from '../../config.js'
import { Errors } from '../../lib/errors.js'
import { originAllowed } from '../../lib/origins.js'
import { tokenTimes } from './sessions.js'

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

/**
 * Who may open a connection, decided at the HTTP handshake before any Socket.IO work: not
 * while shutting down, only same-origin or allowlisted browser origins, at most
 * MAX_CONNECTIONS_PER_IP connections per client IP.
 */
export function createAdmission (config: Config, isClosing: () => boolean) {
  const trustProxy = config.TRUST_PROXY
  const connectionsPerIp = new Map<string, number>()

  const serverOptions: Partial<ServerOptions> = {
    cors: { origin: (origin, cb) => { cb(null, origin === undefined || originAllowed(origin, config.allowedOrigins)) } },
    // Cross-site WebSocket hijacking: a browser always sends Origin; only same-origin or allowlisted pass.
    allowRequest: (req, cb) => {
      if (isClosing()) {
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
  }

  /** Counts each Engine.IO connection (authenticated or not) against its IP until it closes. */
  const countConnections = (io: AppServer): void => {
    io.engine.on('connection', (conn: { request: IncomingMessage, once: (event: 'close', fn: () => void) => void }) => {
      const ip = clientIp(conn.request, trustProxy)
      connectionsPerIp.set(ip, (connectionsPerIp.get(ip) ?? 0) + 1)
      conn.once('close', () => {
        const n = (connectionsPerIp.get(ip) ?? 1) - 1
        if (n <= 0) connectionsPerIp.delete(ip)
        else connectionsPerIp.set(ip, n)
      })
    })
  }

  return { serverOptions, countConnections }
}

/** `Bot <token>` in `auth.token`, or (without one) in the handshake's Authorization header. */
function botToken (socket: AppSocket): string | undefined {
  const token: unknown = socket.handshake.auth?.token
  const header = token === undefined ? socket.handshake.headers.authorization : token
  if (typeof header !== 'string') return undefined
  return /^Bot (\S+)$/i.exec(header)?.[1] ?? (/^Bot\b/i.test(header) ? '' : undefined)
}

/**
 * Socket.IO middleware: the handshake's access token becomes socket.data {userId, expiresAt,
 * issuedAt}. A bot token (no expiry) is checked against the database; its socket's issuedAt
 * is the moment of that check, so a later cut (bot deleted, token rotated, bot or owner
 * suspended: realtime.endSessions) disconnects it.
 */
export function handshakeAuth (app: FastifyInstance) {
  return (socket: AppSocket, next: (err?: Error) => void): void => {
    const bot = botToken(socket)
    if (bot !== undefined) {
      const checkedAt = Date.now()
      app.verifyBotToken(bot).then((userId) => {
        socket.data.userId = userId
        socket.data.expiresAt = Number.POSITIVE_INFINITY
        socket.data.issuedAt = checkedAt
        next()
      }, () => { next(new Error('UNAUTHORIZED')) })
      return
    }
    const token: unknown = socket.handshake.auth?.token
    if (typeof token === 'string' && app.appTokens?.claims(token) === true) {
      // The app's own JWT (server API): the socket lasts until the token's expiry, like ours.
      app.appTokens.signIn(token).then(({ userId, expiresAtMs }) => {
        socket.data.userId = userId
        socket.data.expiresAt = expiresAtMs
        socket.data.issuedAt = Date.now()
        next()
      }, () => { next(new Error('UNAUTHORIZED')) })
      return
    }
    try {
      if (typeof token !== 'string' || token === '') throw Errors.invalidToken()
      socket.data.userId = app.verifyAccessToken(token)
      const { expiresAt, issuedAt } = tokenTimes(app, token)
      socket.data.expiresAt = expiresAt
      socket.data.issuedAt = issuedAt
      next()
    } catch {
      next(new Error('UNAUTHORIZED'))
    }
  }
}
