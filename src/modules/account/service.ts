import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js'
import { conflict, Errors, forbidden } from '../../lib/errors.js'
import { verifyPassword } from '../../lib/password.js'
import { adminRemainsWithout, isLastAdminRefusal } from '../admin/index.js'

export interface AccountDeps {
  prisma: PrismaClient
  uploadDir: string
  /** Leaves a group by the group rule (ownership passes to the longest-standing member). */
  leaveGroup: (userId: string, groupId: string) => Promise<void>
  endSessions: (userId: string, atMs: number) => Promise<void>
}

export const DELETED_DISPLAY_NAME = 'Deleted user'

/** The tombstone's username: frees the old name, stays unique and inside the username pattern. */
export const tombstoneUsername = (id: string): string => `deleted.${id.replaceAll('-', '').slice(0, 24)}`

/**
 * Account deletion and export. Deleting keeps the users row as a tombstone ("Deleted user",
 * no password, no profile) because messages reference their sender; every other row that
 * belongs to the user is removed.
 */
export function createAccountService (deps: AccountDeps) {
  const { prisma } = deps
  /**
   * Leaves the user's groups, turns the row into a tombstone and removes everything else that
   * belongs to the user, then cuts their sessions. `guard`: extra conditions on the row (a
   * concurrent password change wins); false when the row no longer matched. The user's bots
   * go with them.
   */
  async function erase (userId: string, guard: Prisma.UserWhereInput = {}): Promise<boolean> {
    // Groups and channels first, one by one, by the leave rule (heirs, announcements, empty ones deleted).
    const groups = await prisma.conversationMember.findMany({ where: { userId, conversation: { type: { in: ['group', 'channel'] } } }, select: { conversationId: true } })
    for (const g of groups) await deps.leaveGroup(userId, g.conversationId)

    const now = new Date()
    const uploads = await prisma.$transaction(async (tx) => {
      const { count } = await tx.user.updateMany({
        where: { ...guard, id: userId, deletedAt: null },
        data: {
          username: tombstoneUsername(userId),
          displayName: DELETED_DISPLAY_NAME,
          avatarUrl: null,
          passwordHash: '!',
          lastSeenAt: null,
          role: 'user',
          suspendedAt: null,
          suspendedUntil: null,
          suspendedReason: null,
          deletedAt: now,
          tokensValidAfter: now
        }
      })
      if (count !== 1) return null
      await tx.refreshToken.deleteMany({ where: { userId } })
      await tx.pushSubscription.deleteMany({ where: { userId } })
      // Passkeys: a deleted account keeps no way to sign in (and no credential id held against a new account).
      await tx.passkey.deleteMany({ where: { userId } })
      await tx.passkeyChallenge.deleteMany({ where: { userId } })
      await tx.friendRequest.deleteMany({ where: { OR: [{ fromUserId: userId }, { toUserId: userId }] } })
      await tx.friendship.deleteMany({ where: { OR: [{ userId }, { friendId: userId }] } })
      await tx.block.deleteMany({ where: { OR: [{ blockerId: userId }, { blockedId: userId }] } })
      // Direct conversations stay for the peer (with the messages, from "Deleted user").
      await tx.conversationMember.deleteMany({ where: { userId } })
      await tx.report.deleteMany({ where: { OR: [{ reporterId: userId }, { targetUserId: userId }] } })
      // A bot's token and webhook (its users row stays as the tombstone).
      await tx.bot.deleteMany({ where: { userId } })
      const files = await tx.upload.findMany({ where: { uploaderId: userId }, select: { storageKey: true } })
      await tx.upload.deleteMany({ where: { uploaderId: userId } })
      return files
    })
    if (uploads === null) return false
    await deps.endSessions(userId, now.getTime())
    for (const f of uploads) await unlink(join(deps.uploadDir, f.storageKey)).catch(() => {})
    const bots = await prisma.bot.findMany({ where: { ownerId: userId }, select: { userId: true } })
    for (const b of bots) await erase(b.userId)
    return true
  }

  return {
    async deleteAccount (userId: string, password: string): Promise<void> {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { passwordHash: true, role: true, deletedAt: true } })
      if (user === null || user.deletedAt !== null) throw Errors.invalidToken()
      if (!await verifyPassword(password, user.passwordHash)) throw forbidden('Password is incorrect')
      const lastAdmin = () => conflict('The last admin cannot delete their account; promote another first')
      // Checked before erase leaves the groups; the database's rule decides at the tombstone's update.
      if (user.role === 'admin' && !await adminRemainsWithout(prisma, userId)) throw lastAdmin()
      const erased = await erase(userId, { passwordHash: user.passwordHash }).catch((err: unknown) => {
        if (isLastAdminRefusal(err)) throw lastAdmin()
        throw err
      })
      if (!erased) throw forbidden('Password is incorrect')
    },

    erase,

    /** Everything the server holds about the user, as one JSON document. */
    async exportData (userId: string): Promise<Record<string, unknown>> {
      const user = await prisma.user.findUnique({
        where: { id: userId },
        select: { id: true, username: true, displayName: true, avatarUrl: true, role: true, createdAt: true, lastSeenAt: true, deletedAt: true }
      })
      if (user === null || user.deletedAt !== null) throw Errors.invalidToken()
      const { deletedAt: _deleted, ...profile } = user
      const [friends, requests, blocks, memberships, messages, uploads, pushSubscriptions] = await Promise.all([
        prisma.friendship.findMany({ where: { userId }, select: { createdAt: true, friend: { select: { id: true, username: true, displayName: true } } }, orderBy: { createdAt: 'asc' } }),
        prisma.friendRequest.findMany({ where: { OR: [{ fromUserId: userId }, { toUserId: userId }] }, select: { id: true, fromUserId: true, toUserId: true, message: true, status: true, createdAt: true, respondedAt: true } }),
        prisma.block.findMany({ where: { blockerId: userId }, select: { blockedId: true, createdAt: true } }),
        prisma.conversationMember.findMany({ where: { userId }, select: { role: true, joinedAt: true, readSeq: true, conversation: { select: { id: true, type: true, name: true, createdAt: true } } } }),
        prisma.message.findMany({ where: { senderId: userId }, select: { id: true, conversationId: true, seq: true, clientMsgId: true, type: true, content: true, createdAt: true, recalledAt: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
        prisma.upload.findMany({ where: { uploaderId: userId }, select: { id: true, name: true, mime: true, size: true, createdAt: true }, orderBy: { createdAt: 'asc' } }),
        prisma.pushSubscription.findMany({ where: { userId }, select: { id: true, endpoint: true, expirationTime: true, createdAt: true }, orderBy: { createdAt: 'asc' } })
      ])
      return {
        exportedAt: new Date().toISOString(),
        profile,
        friends: friends.map((f) => ({ ...f.friend, since: f.createdAt })),
        friendRequests: requests,
        blocks,
        conversations: memberships.map((m) => ({ ...m.conversation, myRole: m.role, joinedAt: m.joinedAt, readSeq: m.readSeq })),
        messages,
        uploads,
        pushSubscriptions
      }
    }
  }
}

export type AccountService = ReturnType<typeof createAccountService>
