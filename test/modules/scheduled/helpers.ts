import { randomUUID } from 'node:crypto'
import type { App } from '../../../src/app.js'
import type { User } from '../conversations/helpers.js'
import { until } from '../../socket-client.js'

/** An ISO time `ms` from now. */
export const inMs = (ms: number): string => new Date(Date.now() + ms).toISOString()

/** POST /conversations/:id/scheduled as `user`; the raw reply. */
export async function schedule (app: App, user: User, conversationId: string, body: Record<string, unknown> = {}) {
  return await app.inject({
    method: 'POST',
    url: `/api/conversations/${conversationId}/scheduled`,
    headers: user.auth,
    payload: { clientMsgId: randomUUID(), type: 'text', content: 'later', sendAt: inMs(3600_000), ...body }
  })
}

/** Schedules and returns the view, failing on anything but 201. */
export async function scheduled (app: App, user: User, conversationId: string, body: Record<string, unknown> = {}): Promise<any> {
  const res = await schedule(app, user, conversationId, body)
  if (res.statusCode !== 201) throw new Error(`schedule failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

export async function listScheduled (app: App, user: User, conversationId?: string): Promise<any[]> {
  const res = await app.inject({ method: 'GET', url: `/api/scheduled${conversationId === undefined ? '' : `?conversationId=${conversationId}`}`, headers: user.auth })
  if (res.statusCode !== 200) throw new Error(`list failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

export const edit = async (app: App, user: User, id: string, body: unknown) =>
  await app.inject({ method: 'PATCH', url: `/api/scheduled/${id}`, headers: user.auth, payload: body as any })

export const cancel = async (app: App, user: User, id: string) =>
  await app.inject({ method: 'DELETE', url: `/api/scheduled/${id}`, headers: user.auth })

/** The stored row's status (and message id). */
export async function rowOf (app: App, id: string) {
  return await app.prisma.scheduledMessage.findUnique({ where: { id } })
}

/** How many stored messages carry this sender's clientMsgId (exactly-once checks). */
export async function copies (app: App, senderId: string, clientMsgId: string): Promise<number> {
  return await app.prisma.message.count({ where: { senderId, clientMsgId } })
}

/** Waits until the row has this status (the job queue works on its own clock). */
export async function waitStatus (app: App, id: string, status: string, timeoutMs = 20_000): Promise<void> {
  await until(async () => (await rowOf(app, id))?.status === status, timeoutMs, `scheduled ${id} ${status}`)
}
