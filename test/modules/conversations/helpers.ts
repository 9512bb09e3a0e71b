import type { Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { io, type Socket } from 'socket.io-client'
import type { App } from '../../../src/app.js'

/**
 * Fixtures for the conversations tests. Users, friendships and blocks are written straight
 * into the database (the rows the auth/friends modules would write), so these tests do not
 * depend on those routes and stay fast.
 */
export interface User {
  id: string
  username: string
  token: string
  auth: { authorization: string }
}

let counter = 0
export async function makeUser (app: App, displayName?: string): Promise<User> {
  const id = randomUUID()
  const username = `conv${process.pid}_${++counter}_${id.slice(0, 6)}`
  await app.prisma.user.create({ data: { id, username, displayName: displayName ?? username, passwordHash: 'x' } })
  const token = app.signAccessToken(id)
  return { id, username, token, auth: { authorization: `Bearer ${token}` } }
}

export async function makeUsers (app: App, n: number): Promise<User[]> {
  const users: User[] = []
  for (let i = 0; i < n; i++) users.push(await makeUser(app))
  return users
}

export async function befriend (app: App, a: User, b: User): Promise<void> {
  await app.prisma.friendship.createMany({ data: [{ userId: a.id, friendId: b.id }, { userId: b.id, friendId: a.id }] })
}

export async function block (app: App, blocker: User, blocked: User): Promise<void> {
  await app.prisma.block.create({ data: { blockerId: blocker.id, blockedId: blocked.id } })
}

/** Friends with an open direct conversation. */
export async function directPair (app: App): Promise<{ a: User, b: User, conversationId: string }> {
  const [a, b] = await makeUsers(app, 2) as [User, User]
  await befriend(app, a, b)
  const res = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a.auth, payload: { userId: b.id } })
  if (res.statusCode !== 200) throw new Error(`direct failed: ${res.statusCode} ${res.body}`)
  return { a, b, conversationId: res.json().id }
}

export async function makeGroup (app: App, owner: User, members: User[], name = 'team'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name, memberIds: members.map((m) => m.id) } })
  if (res.statusCode !== 201) throw new Error(`group failed: ${res.statusCode} ${res.body}`)
  return res.json().id
}

export interface Client {
  socket: Socket
  /** Every event received, in arrival order. */
  events: Array<{ event: string, payload: any }>
  of: (event: string) => any[]
  /** Emits with an acknowledgement and resolves with the ack. */
  call: (event: string, ...args: unknown[]) => Promise<any>
  /** Resolves once `n` events of that name arrived. */
  waitFor: (event: string, n?: number, timeoutMs?: number) => Promise<any[]>
}

export async function connect (t: Test, url: string, user: User): Promise<Client> {
  const socket = io(url, { auth: { token: user.token }, transports: ['websocket'], reconnection: false, forceNew: true })
  t.teardown(() => { socket.disconnect() })
  const events: Client['events'] = []
  const waiters: Array<() => void> = []
  socket.onAny((event: string, payload: unknown) => {
    events.push({ event, payload })
    for (const w of waiters.splice(0)) w()
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
    }
  }
}

/** Gives in-flight emits a moment to arrive, for asserting that something did NOT arrive. */
export const settle = async (ms = 150): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

export async function messageCount (app: App, conversationId: string): Promise<number> {
  return await app.prisma.message.count({ where: { conversationId } })
}

export async function lastSeq (app: App, conversationId: string): Promise<number> {
  return (await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastSeq
}

export const text = (s: string, clientMsgId: string = randomUUID()) => ({ clientMsgId, type: 'text', content: s })
