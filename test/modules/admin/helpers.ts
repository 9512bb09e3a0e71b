import type { App } from '../../../src/app.js'
import { registerUser, type TestUser } from '../../helper.js'

export const PASSWORD = 'correct horse battery'

/** A user made admin in the database, then signed in again so the token carries the role. */
export async function makeAdmin (app: App): Promise<TestUser> {
  const u = await registerUser(app)
  await app.prisma.user.update({ where: { id: u.id }, data: { role: 'admin' } })
  return await login(app, u)
}

export async function login (app: App, u: TestUser): Promise<TestUser> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: PASSWORD } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  const body = res.json()
  return { ...u, accessToken: body.accessToken, refreshToken: body.refreshToken, auth: { authorization: `Bearer ${body.accessToken as string}` } }
}

/** Rows written by moderation, for "nothing was written" checks. */
export async function moderationCounts (app: App): Promise<{ audit: number, reports: number, suspended: number }> {
  return {
    audit: await app.prisma.auditLog.count(),
    reports: await app.prisma.report.count(),
    suspended: await app.prisma.user.count({ where: { suspendedAt: { not: null } } })
  }
}
