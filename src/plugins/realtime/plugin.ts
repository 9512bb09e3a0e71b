import fp from 'fastify-plugin'
import { Server } from 'socket.io'
import { createAdmission, handshakeAuth } from './admission.js'
import { joinCluster, listenSessions, publishCutoff, redisPing } from './cluster.js'
import { createDispatcher } from './dispatcher.js'
import { createHooks } from './hooks.js'
import { createSessions } from './sessions.js'
import { userRoom, type AppServer, type AppSocket, type Realtime, type SocketContext } from './types.js'

/*
 * Socket.IO for the app, one job per file under ./realtime/:
 *   admission.ts   who may connect: origin, per-IP cap, handshake token
 *   dispatcher.ts  client -> server events: rate limit, validation, handler, ack
 *   sessions.ts    token expiry, auth:refresh, session cutoffs
 *   hooks.ts       connect/disconnect hooks of feature modules
 *   cluster.ts     Redis adapter and the sessions channel between nodes
 *   types.ts       the Realtime facade and the types handlers see
 * This file wires them; modules import everything from here.
 */
export { channelRoom, defineEvent, userRoom, type Ack, type AppSocket, type ConnectionHook, type DispatchStats, type EventDefinition, type Publish, type PublishToRoom, type PublishToUser, type Realtime, type ServerEvent, type ServerPayload, type SocketContext, type SocketData } from './types.js'
export { AUTH_EXPIRY_GRACE_MS } from './sessions.js'
export { SESSIONS_CHANNEL } from './cluster.js'

/**
 * Sharded adapter: up to this many user rooms are emitted to one by one (one SPUBLISH each, to
 * the nodes of that room), more in one emit (one SPUBLISH that every node receives).
 */
const SHARDED_PER_ROOM_MAX = 8

/** At shutdown, how long event handlers under way may take to finish before sockets close. */
const INFLIGHT_WAIT_MS = 3000

/**
 * socket.io's typed emit cannot follow a generic event name through its mapped types; the
 * facade's own signatures (event name -> payload, from the protocol module) carry the typing.
 */
const loose = (target: object): { emit: (event: string, payload: unknown) => unknown } => target as { emit: (event: string, payload: unknown) => unknown }

declare module 'fastify' {
  interface FastifyInstance { realtime: Realtime }
}

export default fp(async (app) => {
  const { config } = app
  /** Set at shutdown: no new sockets, so the HTTP server can close once the last one is gone. */
  let closing = false

  const admission = createAdmission(config, () => closing)
  const io: AppServer = new Server(app.server, {
    path: '/socket.io',
    maxHttpBufferSize: config.SOCKET_MAX_PAYLOAD_BYTES,
    serveClient: false,
    // A connection that never completes the Socket.IO handshake holds a slot of its IP.
    connectTimeout: 10_000,
    ...admission.serverOptions
  })
  admission.countConnections(io)
  const cluster = config.REDIS_URL === undefined ? undefined : joinCluster(io, config.REDIS_URL, app.log, config.REDIS_ADAPTER)

  const dispatcher = createDispatcher(app.log, config.SOCKET_EVENTS_PER_S)
  const hooks = createHooks(app.log)
  const sessions = createSessions(app, io)
  dispatcher.handle(sessions.events)

  io.use(handshakeAuth(app))
  // Rooms besides the user room (a user's channels), read before `connect` completes.
  const roomProviders: Array<(userId: string) => Promise<string[]>> = []
  io.use((socket: AppSocket, next) => {
    if (roomProviders.length === 0) { next(); return }
    Promise.all(roomProviders.map(async (fn) => await fn(socket.data.userId))).then((lists) => {
      socket.data.rooms = lists.flat()
      next()
    }, (err: unknown) => {
      app.log.warn({ err }, 'rooms at connect failed')
      next(new Error('INTERNAL'))
    })
  })

  io.on('connection', (socket: AppSocket) => {
    // A handshake that was under way when shutdown began: reconnect elsewhere.
    if (closing) {
      socket.conn.close()
      return
    }
    const { userId } = socket.data
    const ctx: SocketContext = { userId, socketId: socket.id, emit: (event, payload) => { loose(socket).emit(event, payload) } }
    void socket.join([userRoom(userId), ...(socket.data.rooms ?? [])])
    sessions.open(socket)
    dispatcher.attach(socket, ctx)
    // Connect hooks start now; the disconnect hooks run after them.
    const disconnected = hooks.connected(ctx)
    socket.on('disconnect', disconnected)
    sessions.checkCutoff(socket)
  })

  if (cluster !== undefined) {
    listenSessions(cluster, {
      onCutoff: sessions.applyCutoff,
      onResync: async () => {
        await app.accessTokenCutoffs.reload()
        sessions.cutStaleSockets()
      }
    }, app.log)
  }

  const perRoom = (rooms: number): boolean => cluster !== undefined && config.REDIS_ADAPTER === 'sharded' && rooms > 1 && rooms <= SHARDED_PER_ROOM_MAX
  const realtime: Realtime = {
    toUser: (userId, event, payload) => { loose(io.to(userRoom(userId))).emit(event, payload) },
    toUsers: (userIds, event, payload) => {
      if (userIds.length === 0) return
      // Sharded adapter: an emit to several rooms goes to every node, one room's emit only to
      // the nodes holding a socket of it (see ./realtime/cluster.ts). A handful of recipients
      // (one-to-one: sender and recipient) are cheaper one room at a time; a socket is in one
      // user room only, so nobody gets a copy twice (a user named twice is emitted to once).
      if (perRoom(userIds.length)) for (const id of new Set(userIds)) loose(io.to(userRoom(id))).emit(event, payload)
      else loose(io.to(userIds.map(userRoom))).emit(event, payload)
    },
    toRoom: (room, event, payload, except = []) => { loose(except.length > 0 ? io.to(room).except(except.map(userRoom)) : io.to(room)).emit(event, payload) },
    joinRoom: (userIds, room) => {
      if (userIds.length > 0) io.in(userIds.map(userRoom)).socketsJoin(room)
    },
    leaveRoom: (userIds, room) => {
      if (userIds.length > 0) io.in(userIds.map(userRoom)).socketsLeave(room)
    },
    roomsAtConnect: (fn) => { roomProviders.push(fn) },
    handle: dispatcher.handle,
    eventNames: dispatcher.eventNames,
    eventSchema: dispatcher.eventSchema,
    onConnect: hooks.onConnect,
    onDisconnect: hooks.onDisconnect,
    onEventAnswered: dispatcher.onEventAnswered,
    disconnectUser: (userId) => { io.in(userRoom(userId)).disconnectSockets(true) },
    endSessions: async (userId, atMs) => {
      sessions.applyCutoff(userId, atMs)
      if (cluster !== undefined) await publishCutoff(cluster, userId, atMs, app.log)
    },
    localSocketCount: (userId) => io.sockets.adapter.rooms.get(userRoom(userId))?.size ?? 0,
    redis: cluster?.pub,
    redisPing: cluster === undefined ? undefined : async () => await redisPing(cluster),
    stats: dispatcher.stats
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
    // Sends under way get their ack on their own connection.
    await dispatcher.drain(INFLIGHT_WAIT_MS)
    for (const socket of io.sockets.sockets.values()) socket.conn.close()
    const deadline = Date.now() + 2000
    while (io.sockets.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    await hooks.settle()
  })
  app.addHook('onClose', async () => {
    await io.close()
    await Promise.allSettled([cluster?.pub.quit(), cluster?.sub.quit()])
  })
}, { name: 'realtime', dependencies: ['config', 'auth'] })
