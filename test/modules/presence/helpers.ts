import { randomUUID } from 'node:crypto'
import type { App } from '../../../src/app.js'
import { befriend, registerUser, type TestUser } from '../../helper.js'

/**
 * Fixtures for the realtime, presence, typing and signal tests. Users, friendships and blocks
 * come from the real routes; conversations are written straight into their tables (the rows
 * the conversations module writes), so these tests do not depend on its policies (who may
 * start a group or a direct conversation).
 */
export type User = TestUser

export async function makeUsers (app: App, n: number): Promise<User[]> {
  const users: User[] = []
  for (let i = 0; i < n; i++) users.push(await registerUser(app))
  return users
}

export const makeFriends = befriend

export async function block (app: App, blocker: User, blocked: User): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/api/blocks/${blocked.id}`, headers: blocker.auth })
  if (res.statusCode >= 300) throw new Error(`block failed: ${res.statusCode} ${res.body}`)
}

/** A group conversation of exactly these users; returns its id. */
export async function makeConversation (app: App, members: User[]): Promise<string> {
  const id = randomUUID()
  await app.prisma.conversation.create({
    data: {
      id,
      type: 'group',
      name: 'test',
      ownerId: members[0]?.id,
      members: { create: members.map((m, i) => ({ userId: m.id, role: i === 0 ? 'owner' : 'member' })) }
    }
  })
  return id
}

export { connect, connected, openSocket, refused, settle, sleep, until, type Client } from '../../socket-client.js'
