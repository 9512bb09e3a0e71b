import type { PrismaClient } from '../../generated/prisma/client.js'
import { Errors, forbidden, validation } from '../../lib/errors.js'
import type { FriendsService } from '../friends/index.js'

/** Who may signal whom: users who share a conversation, with no block either way. */
export function createSignalService (prisma: PrismaClient, friends: Pick<FriendsService, 'isBlockedEitherWay'>) {
  return {
    /** Throws VALIDATION (self), NOT_FOUND (no such user) or FORBIDDEN (blocked, no shared conversation). */
    async authorise (fromUserId: string, toUserId: string): Promise<void> {
      if (fromUserId === toUserId) throw validation('Cannot signal yourself')
      const [target, shared, blocked] = await Promise.all([
        prisma.user.findUnique({ where: { id: toUserId }, select: { id: true } }),
        prisma.conversationMember.findFirst({
          where: { userId: fromUserId, conversation: { members: { some: { userId: toUserId } } } },
          select: { conversationId: true }
        }),
        friends.isBlockedEitherWay(fromUserId, toUserId)
      ])
      if (target === null) throw Errors.userNotFound()
      if (blocked) throw Errors.blocked()
      if (shared === null) throw forbidden('Signals need a shared conversation')
    }
  }
}

export type SignalService = ReturnType<typeof createSignalService>
