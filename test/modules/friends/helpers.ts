import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { io, type Socket } from 'socket.io-client'
import type { App } from '../../../src/app.js'
import type { TestUser } from '../../helper.js'

type Method = 'GET' | 'POST' | 'DELETE'

/** One authenticated call; `payload` is sent as JSON exactly as given. */
export async function call (app: App, user: TestUser | null, method: Method, url: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return await app.inject({
    method,
    url,
    headers: {
      ...(user === null ? {} : user.auth),
      ...(payload === undefined ? {} : { 'content-type': 'application/json' })
    },
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })
  })
}

export async function sendRequest (app: App, from: TestUser, to: TestUser, message?: string): Promise<LightMyRequestResponse> {
  return await call(app, from, 'POST', '/api/friends/requests', { toUserId: to.id, ...(message === undefined ? {} : { message }) })
}

/** Rows of the friend graph that touch any of these users: what a failed call must not change. */
export async function graphRows (app: App, ...userIds: string[]): Promise<{ requests: unknown[], friendships: unknown[], blocks: unknown[] }> {
  const [requests, friendships, blocks] = await Promise.all([
    app.prisma.friendRequest.findMany({ where: { OR: [{ fromUserId: { in: userIds } }, { toUserId: { in: userIds } }] }, orderBy: { id: 'asc' } }),
    app.prisma.friendship.findMany({ where: { OR: [{ userId: { in: userIds } }, { friendId: { in: userIds } }] }, orderBy: [{ userId: 'asc' }, { friendId: 'asc' }] }),
    app.prisma.block.findMany({ where: { OR: [{ blockerId: { in: userIds } }, { blockedId: { in: userIds } }] }, orderBy: [{ blockerId: 'asc' }, { blockedId: 'asc' }] })
  ])
  return { requests, friendships, blocks }
}

export async function friendshipCount (app: App, a: string, b: string): Promise<number> {
  return await app.prisma.friendship.count({ where: { OR: [{ userId: a, friendId: b }, { userId: b, friendId: a }] } })
}

export const PUBLIC_USER_KEYS = ['avatarUrl', 'createdAt', 'displayName', 'id', 'username']
export const REQUEST_KEYS = ['createdAt', 'from', 'fromUserId', 'id', 'message', 'respondedAt', 'status', 'to', 'toUserId']

export interface Client {
  socket: Socket
  events: Array<{ event: string, payload: any }>
  of: (event: string) => any[]
  /** Resolves once `n` events of that name arrived. */
  waitFor: (event: string, n?: number, timeoutMs?: number) => Promise<any[]>
}

/** A real socket.io-client connection for `user`, closed in teardown. */
export async function connect (t: Test, url: string, user: TestUser): Promise<Client> {
  const socket = io(url, { auth: { token: user.accessToken }, transports: ['websocket'], reconnection: false, forceNew: true })
  t.teardown(() => { socket.disconnect() })
  const events: Client['events'] = []
  let wake: (() => void) | undefined
  socket.onAny((event: string, payload: unknown) => {
    events.push({ event, payload })
    wake?.()
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => { resolve() })
    socket.once('connect_error', reject)
  })
  const of = (event: string): any[] => events.filter((e) => e.event === event).map((e) => e.payload)
  return {
    socket,
    events,
    of,
    waitFor: async (event, n = 1, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs
      while (of(event).length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} ${event} (got ${of(event).length})`)
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 50).unref()
        })
      }
      return of(event)
    }
  }
}

/** Gives in-flight emits time to arrive, before asserting that something did NOT arrive. */
export const settle = async (ms = 200): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
