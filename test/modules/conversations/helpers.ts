import { randomUUID } from 'node:crypto'
import type { App } from '../../../src/app.js'

/**
 * Fixtures for the conversations tests. Users and blocks are written straight into the
 * database (the rows the auth/friends modules would write), so these tests stay fast;
 * friendships come from the shared `befriend` (the real friends routes).
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

import { befriend } from '../../helper.js'
export { befriend }

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

export { connect, settle, type Client } from '../../socket-client.js'

export async function messageCount (app: App, conversationId: string): Promise<number> {
  return await app.prisma.message.count({ where: { conversationId } })
}

export async function lastSeq (app: App, conversationId: string): Promise<number> {
  return (await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastSeq
}

export const text = (s: string, clientMsgId: string = randomUUID()) => ({ clientMsgId, type: 'text', content: s })
