import type { PrismaClient, User } from '../../generated/prisma/client.js'
import type { Me, PublicUser, UpdateMe } from './schemas.js'
import type { PresenceVisibility } from '../presence/index.js'

type UserRow = Pick<User, 'id' | 'username' | 'displayName' | 'avatarUrl' | 'createdAt'> & { isBot?: boolean }

/** Only the public fields, whatever the row carries (never the password hash). `isBot` only on bots. */
export function toPublicUser (row: UserRow): PublicUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    avatarUrl: row.avatarUrl,
    createdAt: row.createdAt.toISOString(),
    ...(row.isBot === true ? { isBot: true } : {})
  }
}

/** Prisma `select` for exactly the public fields. */
export const publicUserSelect = { id: true, username: true, displayName: true, avatarUrl: true, createdAt: true, isBot: true } as const

export function createUsersService (prisma: PrismaClient) {
  return {
    async findById (id: string): Promise<PublicUser | null> {
      const row = await prisma.user.findUnique({ where: { id }, select: publicUserSelect })
      return row === null ? null : toPublicUser(row)
    },

    /** The user's own view (role included); null for an unknown or deleted account. */
    async findMe (id: string): Promise<Me | null> {
      const row = await prisma.user.findUnique({ where: { id }, select: { ...publicUserSelect, role: true, deletedAt: true, presenceVisibility: true } })
      return row === null || row.deletedAt !== null ? null : { ...toPublicUser(row), role: row.role, presenceVisibility: row.presenceVisibility }
    },

    /** Prefix match on the (lower-case) username, alphabetical. */
    async search (q: string, limit: number): Promise<PublicUser[]> {
      // Prisma passes startsWith to LIKE unescaped: `_` and `%` would be wildcards.
      const prefix = q.trim().toLowerCase().replace(/[\\%_]/g, '\\$&')
      const rows = await prisma.user.findMany({
        where: { username: { startsWith: prefix }, deletedAt: null },
        select: publicUserSelect,
        orderBy: { username: 'asc' },
        take: limit
      })
      return rows.map(toPublicUser)
    },

    /** Returns null when the user no longer exists. `avatarUrl: null` clears it. */
    async updateProfile (id: string, patch: UpdateMe): Promise<Me | null> {
      const data: { displayName?: string, avatarUrl?: string | null, presenceVisibility?: PresenceVisibility } = {}
      if (patch.displayName !== undefined) data.displayName = patch.displayName.trim()
      if (patch.avatarUrl !== undefined) data.avatarUrl = patch.avatarUrl
      if (patch.presenceVisibility !== undefined) data.presenceVisibility = patch.presenceVisibility
      if (Object.keys(data).length === 0) return await this.findMe(id)
      const { count } = await prisma.user.updateMany({ where: { id, deletedAt: null }, data })
      if (count === 0) return null
      return await this.findMe(id)
    }
  }
}

export type UsersService = ReturnType<typeof createUsersService>
