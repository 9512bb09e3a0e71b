import type { PrismaClient } from '../../generated/prisma/client.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** What presence reads from the database: stored lastSeenAt, and members for typing. Live connection state is the tracker's. */
export function createPresenceService (prisma: PrismaClient) {
  return {
    /** Stored lastSeenAt of each existing user; other ids (not even UUIDs) are left out. */
    async lastSeen (userIds: readonly string[]): Promise<Map<string, string | null>> {
      const ids = userIds.filter((id) => UUID.test(id))
      if (ids.length === 0) return new Map()
      const rows = await prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true, lastSeenAt: true } })
      return new Map(rows.map((r) => [r.id, r.lastSeenAt?.toISOString() ?? null]))
    },

    /**
     * Members of a conversation to relay typing to (empty when it does not exist). In a channel
     * only `userId` itself, when a member: typing is not relayed in channels (thousands of
     * members would each get everybody's keystrokes), but a member's event still answers ok.
     */
    async memberIds (conversationId: string, userId?: string): Promise<string[]> {
      const rows = await prisma.conversationMember.findMany({
        where: { conversationId, OR: [{ conversation: { type: { not: 'channel' } } }, ...(userId === undefined ? [] : [{ userId }])] },
        select: { userId: true }
      })
      return rows.map((r) => r.userId)
    }
  }
}

export type PresenceService = ReturnType<typeof createPresenceService>
