/**
 * The baseline: a bare Socket.IO relay with no auth and no database. Same events and fan-out
 * as the server (every member's room, sender included), so the harness can run the identical
 * load against it and report ours / bare.
 */
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const http = createServer((_req, res) => { res.end('ok') })
const io = new Server(http, { serveClient: false })
io.on('connection', (socket) => {
  const { userId, rooms } = socket.handshake.auth as { userId?: string, rooms?: string[] }
  if (Array.isArray(rooms)) void socket.join(rooms)
  socket.on('message:send', (p: { conversationId: string, clientMsgId: string }, ack?: (r: unknown) => void) => {
    const createdAt = new Date().toISOString()
    io.to(p.conversationId).emit('message:new', { ...p, senderId: userId, createdAt })
    ack?.({ ok: true, data: { conversationId: p.conversationId, clientMsgId: p.clientMsgId, createdAt } })
  })
})
http.listen(Number(process.env.PORT ?? 3100), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () => { process.exit(0) })
