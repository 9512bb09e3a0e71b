/**
 * The generator's ceiling: a Socket.IO-compatible echo that does the least a server can for
 * the load — Engine.IO v4 / Socket.IO v5 text frames over a bare `ws` server, no framework,
 * no validation, no database. Each socket names its rooms in the handshake (as with
 * bench/relay.ts); `message:send` is acked and `message:new` goes to every socket of the
 * conversation's room, the sender's included. Its maximum rate is what the load generator
 * can drive on this machine: a server whose maximum is near it is limited by the generator.
 */
import { createServer } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'

const rooms = new Map<string, Set<WebSocket>>()
const http = createServer((_req, res) => { res.end('ok') })
const wss = new WebSocketServer({ server: http, path: '/socket.io/', perMessageDeflate: false })
let nextSid = 0

wss.on('connection', (ws) => {
  const sid = `e${nextSid++}`
  let userId: string | undefined
  let joined: string[] = []
  ws.send(`0${JSON.stringify({ sid, upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1e6 })}`)
  ws.on('message', (data: Buffer) => {
    const frame = data.toString()
    if (frame === '3') return
    if (frame.startsWith('40')) {
      const auth = JSON.parse(frame.slice(2) || '{}') as { userId?: string, rooms?: string[] }
      userId = auth.userId
      joined = Array.isArray(auth.rooms) ? auth.rooms : []
      for (const r of joined) {
        let set = rooms.get(r)
        if (set === undefined) rooms.set(r, set = new Set())
        set.add(ws)
      }
      ws.send(`40${JSON.stringify({ sid })}`)
      return
    }
    if (!frame.startsWith('42')) return
    const start = frame.indexOf('[')
    const ackId = frame.slice(2, start)
    const [event, p] = JSON.parse(frame.slice(start)) as [string, { conversationId: string, clientMsgId: string }]
    if (event !== 'message:send') return
    const createdAt = new Date().toISOString()
    const out = `42${JSON.stringify(['message:new', { ...p, senderId: userId, createdAt }])}`
    for (const peer of rooms.get(p.conversationId) ?? []) peer.send(out)
    if (ackId !== '') ws.send(`43${ackId}${JSON.stringify([{ ok: true, data: { conversationId: p.conversationId, clientMsgId: p.clientMsgId, createdAt } }])}`)
  })
  ws.on('close', () => { for (const r of joined) rooms.get(r)?.delete(ws) })
  ws.on('error', () => {})
})
http.listen(Number(process.env.PORT ?? 3200), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () => { process.exit(0) })
