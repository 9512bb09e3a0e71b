import type { PrismaClient } from '../../generated/prisma/client.js'

export interface Relation { isFriend: boolean, since?: string, blocked: boolean, blockedBy: boolean }

/** The friend graph. Other modules (conversations) ask it about a pair of users. */
export function createFriendsService (prisma: PrismaClient) {
  return {
    /** How `userId` stands towards `otherId`. */
    async relation (userId: string, otherId: string): Promise<Relation> {
      const [friendship, blocks] = await Promise.all([
        prisma.friendship.findUnique({ where: { userId_friendId: { userId, friendId: otherId } } }),
        prisma.block.findMany({ where: { OR: [{ blockerId: userId, blockedId: otherId }, { blockerId: otherId, blockedId: userId }] } })
      ])
      return {
        isFriend: friendship !== null,
        ...(friendship !== null ? { since: friendship.createdAt.toISOString() } : {}),
        blocked: blocks.some((b) => b.blockerId === userId),
        blockedBy: blocks.some((b) => b.blockerId === otherId)
      }
    }
  }
}

export type FriendsService = ReturnType<typeof createFriendsService>
