import { randomUUID } from 'node:crypto'
import type { App } from '../../../src/app.js'
import { hashPassword } from '../../../src/lib/password.js'

export interface TestKey { id: string, key: string, auth: { authorization: string } }

/** A platform admin (role in the row and the token), made directly: admins are promoted by the CLI. */
export async function makeAdmin (app: App): Promise<{ id: string, auth: { authorization: string } }> {
  const id = randomUUID()
  const username = `adm${process.pid % 100000}_${id.slice(0, 8)}`
  await app.prisma.user.create({ data: { id, username, displayName: username, passwordHash: await hashPassword('correct horse battery', 10), role: 'admin' } })
  return { id, auth: { authorization: `Bearer ${app.signAccessToken(id, 'admin')}` } }
}

/** A server key with these scopes, created through the admin route. */
export async function makeKey (app: App, admin: { auth: { authorization: string } }, scopes: string[] = ['users', 'conversations', 'messages', 'moderation']): Promise<TestKey> {
  const res = await app.inject({ method: 'POST', url: '/api/admin/server-keys', headers: admin.auth, payload: { name: `app ${scopes.join('+')}`, scopes } })
  if (res.statusCode !== 201) throw new Error(`create key: ${res.statusCode} ${res.body}`)
  const body = res.json()
  return { id: body.id, key: body.key, auth: { authorization: `Server ${body.key as string}` } }
}

/** Upserts an app user through the server API; returns its row. */
export async function appUser (app: App, key: TestKey, externalId = `ext-${randomUUID()}`, displayName = 'App user'): Promise<{ id: string, externalId: string }> {
  const res = await app.inject({ method: 'PUT', url: `/api/server/users/${encodeURIComponent(externalId)}`, headers: key.auth, payload: { displayName } })
  if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`upsert: ${res.statusCode} ${res.body}`)
  return { id: res.json().id, externalId }
}
