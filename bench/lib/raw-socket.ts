/**
 * A load generator's Socket.IO client, cut to what the load needs: one WebSocket (`ws`, the
 * library socket.io itself runs on), Engine.IO v4 / Socket.IO v5 text frames written and read
 * by hand — events with acks out, events and acks in, pings answered. No reconnection,
 * buffering, binary or namespaces: per message it does a small fraction of socket.io-client's
 * work, so the generator is not what limits a max-rate run (BENCHMARKS.md, "generator
 * ceiling"). Frames: `40{auth}` connect, `44{…}` connect error, `42["event",payload]`,
 * `42<id>[…]` with an ack wanted, `43<id>[reply]` the ack; `2`/`3` ping/pong.
 */
import WebSocket from 'ws'

export interface LoadSocket {
  readonly connected: boolean
  on: (event: string, fn: (payload: any) => void) => void
  off: (event: string, fn: (payload: any) => void) => void
  emit: (event: string, payload: unknown, ack?: (reply: any) => void) => void
  disconnect: () => void
}

export class RawSocket implements LoadSocket {
  connected = false
  private nextAck = 0
  private readonly acks = new Map<number, (reply: unknown) => void>()
  private readonly handlers = new Map<string, Array<(payload: unknown) => void>>()

  private readonly ws: WebSocket
  private constructor (ws: WebSocket) {
    this.ws = ws
  }

  /** Opens the WebSocket and the default namespace with `auth`; rejects on a connect error. */
  static async connect (url: string, auth: unknown, opts: { localAddress?: string, timeoutMs?: number } = {}): Promise<RawSocket> {
    const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false, localAddress: opts.localAddress })
    const socket = new RawSocket(ws)
    return await new Promise<RawSocket>((resolve, reject) => {
      const timer = setTimeout(() => { ws.terminate(); reject(new Error('timeout')) }, opts.timeoutMs ?? 30_000)
      const fail = (err: Error): void => { clearTimeout(timer); reject(err) }
      ws.once('error', fail)
      ws.once('close', () => { socket.connected = false; fail(new Error('closed')) })
      ws.on('message', (data: Buffer) => {
        const frame = data.toString()
        if (frame === '2') { ws.send('3'); return }
        if (frame[0] === '0') { ws.send('40' + JSON.stringify(auth)); return }
        if (frame[0] !== '4') return
        switch (frame[1]) {
          case '0':
            socket.connected = true
            clearTimeout(timer)
            ws.off('error', fail)
            ws.on('error', () => {})
            resolve(socket)
            return
          case '4': fail(new Error((JSON.parse(frame.slice(2)) as { message?: string }).message ?? 'connect error')); return
          case '2': socket.onEvent(frame); return
          case '3': socket.onAck(frame)
        }
      })
    })
  }

  private onEvent (frame: string): void {
    const start = frame.indexOf('[')
    const [event, payload] = JSON.parse(frame.slice(start)) as [string, unknown]
    const list = this.handlers.get(event)
    if (list !== undefined) for (const fn of list) fn(payload)
  }

  private onAck (frame: string): void {
    const start = frame.indexOf('[')
    const id = Number(frame.slice(2, start))
    const fn = this.acks.get(id)
    if (fn === undefined) return
    this.acks.delete(id)
    fn((JSON.parse(frame.slice(start)) as unknown[])[0])
  }

  on (event: string, fn: (payload: any) => void): void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn])
  }

  off (event: string, fn: (payload: any) => void): void {
    this.handlers.set(event, (this.handlers.get(event) ?? []).filter((f) => f !== fn))
  }

  emit (event: string, payload: unknown, ack?: (reply: any) => void): void {
    if (!this.connected) return
    if (ack === undefined) {
      this.ws.send(`42${JSON.stringify([event, payload])}`)
      return
    }
    const id = this.nextAck++
    this.acks.set(id, ack)
    this.ws.send(`42${id}${JSON.stringify([event, payload])}`)
  }

  disconnect (): void {
    if (this.connected) this.ws.send('41')
    this.connected = false
    this.ws.close()
  }
}
