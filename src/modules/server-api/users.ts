import { createHash, randomUUID } from 'node:crypto'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { isUniqueViolation } from '../../db/constraint-errors.js'
import { Errors } from '../../lib/errors.js'
import { isSuspended } from '../../lib/suspension.js'
import type { ServerUser } from './schemas.js'

const select = { id: true, externalId: true, username: true, displayName: true, avatarUrl: true, createdAt: true, suspendedAt: true, suspendedUntil: true, deletedAt: true } as const
interface Row { id: string, externalId: string | null, username: string, displayName: string, avatarUrl: string | null, createdAt: Date, suspendedAt: Date | null, suspendedUntil: Date | null }

export const toServerUser = (r: Row): ServerUser => ({
  id: r.id,
  externalId: r.externalId ?? '',
  username: r.username,
  displayName: r.displayName,
  avatarUrl: r.avatarUrl,
  createdAt: r.createdAt.toISOString(),
  suspended: isSuspended(r)
})

/**
 * A username for an app's user, derived from its external id (usernames are this server's
 * handles: 3-32 of [a-z0-9_.-]); never signed in to with a password ('!' matches none).
 */
export const externalUsername = (externalId: string): string => 'x_' + createHash('sha256').update(externalId).digest('hex').slice(0, 30)

/** Users known by the app's own id: upsert, look up, list. Deleted users are not found. */
export function createExternalUsers (prisma: PrismaClient) {
  async function find (externalId: string): Promise<Row | null> {
    return await prisma.user.findFirst({ where: { externalId, deletedAt: null }, select })
  }

  return {
    /** Creates the user on first sight, else updates name and avatar (an absent avatarUrl keeps it). */
    async upsert (externalId: string, input: { displayName: string, avatarUrl?: string | null }): Promise<{ user: ServerUser, created: boolean }> {
      const displayName = input.displayName.trim()
      const existing = await find(externalId)
      if (existing !== null) {
        const row = await prisma.user.update({ where: { id: existing.id }, data: { displayName, ...(input.avatarUrl !== undefined ? { avatarUrl: input.avatarUrl } : {}) }, select })
        return { user: toServerUser(row), created: false }
      }
      try {
        const row = await prisma.user.create({
          data: { id: randomUUID(), externalId, username: externalUsername(externalId), displayName, avatarUrl: input.avatarUrl ?? null, passwordHash: '!' },
          select
        })
        return { user: toServerUser(row), created: true }
      } catch (err) {
        // Two first upserts at once: the other one created it.
        if (!isUniqueViolation(err)) throw err
        const row = await find(externalId)
        if (row === null) throw err
        return { user: toServerUser(await prisma.user.update({ where: { id: row.id }, data: { displayName }, select })), created: false }
      }
    },

    /** The user's row id, or NOT_FOUND. */
    async idOf (externalId: string): Promise<string> {
      const row = await find(externalId)
      if (row === null) throw Errors.userNotFound()
      return row.id
    },

    /** Ids of several external ids in their order, in one query; USER_NOT_FOUND if any is unknown or deleted. */
    async idsOf (externalIds: string[]): Promise<string[]> {
      const rows = await prisma.user.findMany({ where: { externalId: { in: [...new Set(externalIds)] }, deletedAt: null }, select: { id: true, externalId: true } })
      const byExternal = new Map(rows.map((r) => [r.externalId, r.id]))
      return externalIds.map((e) => {
        const id = byExternal.get(e)
        if (id === undefined) throw Errors.userNotFound()
        return id
      })
    },

    async get (externalId: string): Promise<ServerUser> {
      const row = await find(externalId)
      if (row === null) throw Errors.userNotFound()
      return toServerUser(row)
    },

    async byId (id: string): Promise<ServerUser> {
      const row = await prisma.user.findUnique({ where: { id }, select })
      if (row === null || row.externalId === null) throw Errors.userNotFound()
      return toServerUser(row)
    },

    /** By external id, after the cursor. */
    async list (limit: number, after: string | undefined): Promise<{ items: ServerUser[], next: string | null }> {
      const rows = await prisma.user.findMany({
        where: { externalId: after === undefined ? { not: null } : { gt: after }, deletedAt: null },
        select,
        orderBy: { externalId: 'asc' },
        take: limit + 1
      })
      const items = rows.slice(0, limit).map(toServerUser)
      return { items, next: rows.length > limit ? items[items.length - 1]?.externalId ?? null : null }
    },

    /** After the account was erased: the external id is free for a new user. */
    async release (id: string): Promise<void> {
      await prisma.user.update({ where: { id }, data: { externalId: null } })
    }
  }
}

export type ExternalUsers = ReturnType<typeof createExternalUsers>
