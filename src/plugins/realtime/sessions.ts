import type { FastifyInstance } from 'fastify'
import type { AppServer, AppSocket } from './types.js'
import { Type } from 'typebox'
import { Text } from '../../lib/text-schemas.js'
import { Errors, unauthorized } from '../../lib/errors.js'
import { issuedAtMs } from '../auth.js'
import { defineEvent, userRoom } from './types.js'

/*
 * Session lifetime events (they extend the wire contract in docs/protocol.md):
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
/** setTimeout fires at once beyond this; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1

const AuthRefreshEvent = Type.Object({ token: Text({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false })

interface Session {
  socket: AppSocket
  /** Epoch ms at which the socket's access token expires. */
  expiresAt: number
  /** Epoch ms at which the socket's current access token was issued (see AccessClaims.iatMs). */
  issuedAt: number
  timer?: NodeJS.Timeout
}

/** When a token was issued and when it expires (auth:expired, then the cut after the grace period unless refreshed). */
export function tokenTimes (app: FastifyInstance, token: string): { expiresAt: number, issuedAt: number } {
  // One decode for both (it runs at every handshake).
  const claims = app.jwt.decode<{ exp?: unknown, iat?: unknown, iatMs?: unknown }>(token)
  const exp = claims?.exp
  return {
    expiresAt: typeof exp === 'number' ? exp * 1000 : Date.now() + app.config.ACCESS_TOKEN_TTL_S * 1000,
    issuedAt: issuedAtMs(claims)
  }
}

/**
 * The sockets of this node with their token's lifetime: expiry timers, `auth:refresh`, and
 * session cutoffs (password change) that disconnect sockets whose token they ended.
 */
export function createSessions (app: FastifyInstance, io: AppServer) {
  const sessions = new Map<string, Session>()

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

  /** Disconnects this node's sockets whose token a cutoff ended (its own, or of every user after a reload). */
  const cutIfStale = (session: Session): void => {
    const at = app.accessTokenCutoffs.get(session.socket.data.userId)
    if (at !== undefined && session.issuedAt < at) session.socket.disconnect(true)
  }
  const cutStaleSockets = (userId?: string): void => {
    const ids = userId === undefined ? sessions.keys() : (io.sockets.adapter.rooms.get(userRoom(userId)) ?? [])
    for (const id of [...ids]) {
      const session = sessions.get(id)
      if (session !== undefined) cutIfStale(session)
    }
  }

  return {
    /** Starts the session of a socket that passed the handshake (socket.data from handshakeAuth). */
    open (socket: AppSocket): void {
      const session: Session = { socket, expiresAt: socket.data.expiresAt, issuedAt: socket.data.issuedAt }
      sessions.set(socket.id, session)
      armExpiry(session, session.expiresAt)
      socket.on('disconnect', () => {
        clearTimeout(session.timer)
        sessions.delete(socket.id)
      })
    },
    /** A cutoff that arrived between the handshake's token check and now. */
    checkCutoff (socket: AppSocket): void {
      const session = sessions.get(socket.id)
      if (session !== undefined) cutIfStale(session)
    },
    /** Records a cutoff and disconnects the user's sockets on this node that it ended. */
    applyCutoff (userId: string, atMs: number): void {
      app.accessTokenCutoffs.set(userId, atMs)
      cutStaleSockets(userId)
    },
    /** After the cutoffs were reloaded: checks every socket of this node. */
    cutStaleSockets: () => { cutStaleSockets() },
    events: {
      'auth:refresh': defineEvent(AuthRefreshEvent, async (ctx, p) => {
        const userId = app.verifyAccessToken(p.token)
        if (userId !== ctx.userId) throw unauthorized('The token belongs to another user')
        const session = sessions.get(ctx.socketId)
        if (session === undefined) throw Errors.invalidToken()
        const { expiresAt, issuedAt } = tokenTimes(app, p.token)
        armExpiry(session, expiresAt)
        session.issuedAt = issuedAt
        return { expiresAt: new Date(session.expiresAt).toISOString() }
      })
    }
  }
}

export type Sessions = ReturnType<typeof createSessions>
