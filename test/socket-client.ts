import type { Test } from 'tap'
import { io, type Socket, type ManagerOptions, type SocketOptions } from 'socket.io-client'

/** The one socket test client: a real socket.io-client connection, recording every event. */
export interface Client {
  socket: Socket
  /** Every event received, in arrival order. */
  events: Array<{ event: string, payload: any }>
  of: (event: string) => any[]
  /** Emits with an acknowledgement and resolves with the ack. */
  call: (event: string, ...args: unknown[]) => Promise<any>
  /** Resolves once `n` events of that name arrived. */
  waitFor: (event: string, n?: number, timeoutMs?: number) => Promise<any[]>
  /** Resolves with the reason once the socket is disconnected. */
  disconnected: Promise<string>
  close: () => Promise<void>
}

/** A socket.io-client over WebSocket only, no reconnection; closed in teardown. */
export function openSocket (t: Test, url: string, token: unknown, opts: Partial<ManagerOptions & SocketOptions> = {}): Socket {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, ...opts })
  t.teardown(() => { socket.disconnect() })
  return socket
}

/** Resolves when connected; rejects with the connect_error. */
export async function connected (socket: Socket): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => { resolve() })
    socket.once('connect_error', reject)
  })
}

/** The connect_error message of a socket that must be refused. */
export async function refused (socket: Socket): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    socket.once('connect', () => { reject(new Error('connected but should have been refused')) })
    socket.once('connect_error', (err) => { resolve(err.message) })
  })
}

/** Connects as `user` (a registered user's `accessToken`, or a fixture's `token`). */
export async function connect (t: Test, url: string, user: { accessToken: string } | { token: string }, opts: Partial<ManagerOptions & SocketOptions> = {}): Promise<Client> {
  const socket = openSocket(t, url, 'accessToken' in user ? user.accessToken : user.token, opts)
  const events: Client['events'] = []
  const waiters: Array<() => void> = []
  socket.onAny((event: string, payload: unknown) => {
    events.push({ event, payload })
    for (const w of waiters.splice(0)) w()
  })
  const disconnected = new Promise<string>((resolve) => { socket.once('disconnect', (reason) => { resolve(reason) }) })
  await connected(socket)
  const of = (event: string): any[] => events.filter((e) => e.event === event).map((e) => e.payload)
  return {
    socket,
    events,
    of,
    disconnected,
    call: async (event, ...args) => await socket.timeout(10_000).emitWithAck(event, ...args),
    waitFor: async (event, n = 1, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs
      while (of(event).length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} ${event} (got ${of(event).length})`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 50).unref()
        })
      }
      return of(event)
    },
    close: async () => {
      if (socket.connected) {
        socket.disconnect()
        await disconnected
      }
    }
  }
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Gives in-flight emits a moment to arrive, for asserting that something did NOT arrive. */
export const settle = async (ms = 200): Promise<void> => { await sleep(ms) }

/** Polls until `fn` returns true (server-side effects of a client disconnect are asynchronous). */
export async function until (fn: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}
