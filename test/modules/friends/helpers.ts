import type { LightMyRequestResponse } from 'fastify'
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

export { connect, settle, type Client } from '../../socket-client.js'
