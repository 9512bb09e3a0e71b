import type { BannedMember } from '@relay-im/client/protocol'
import { conflict, Errors, notFound, validation } from '../../lib/errors.js'
import { type ConversationsDeps, requireRole } from '../conversations/index.js'
import { actorOf, groupMembers, groupNotFound, lockGroup, type GroupService } from './service.js'
import { liftBans, recordBan } from './membership-rules.js'
import { BAN_LIST_SQL } from './sql.js'

export const banNotFound = () => notFound('Ban not found')

/** The most a list shows (newest first). */
export const BAN_LIST_MAX = 500

interface BanRow { user_id: string, username: string, display_name: string, avatar_url: string | null, removed_by: string | null, removed_at: Date }

/**
 * The bans of a group or channel (membership-rules.ts: a removal by the owner or an admin),
 * as its owner and admins see and lift them. Not a member: NOT_FOUND; a plain member: FORBIDDEN.
 */
export function createBanService (deps: ConversationsDeps, groups: GroupService) {
  const { prisma, sql } = deps

  return {
    /**
     * PUT /groups/:id/bans/:userId. A member is removed (the removal is the ban, with its
     * rules: an admin bans plain members only, nobody the owner); anyone else (one who left
     * before being removed, one who never joined) is banned without a removal. Banning
     * oneself is VALIDATION, an unknown user NOT_FOUND; banning again renews the ban.
     */
    async ban (actorId: string, groupId: string, userId: string): Promise<void> {
      if (userId === actorId) throw validation('You cannot ban yourself (leave instead)')
      const member = await prisma.conversationMember.findUnique({ where: { conversationId_userId: { conversationId: groupId, userId } }, select: { userId: true } })
      if (member !== null) {
        await groups.removeMember(actorId, groupId, userId)
        return
      }
      await prisma.$transaction(async (tx) => {
        await lockGroup(tx, groupId, true)
        const members = await groupMembers(tx, groupId)
        requireRole(actorOf(members, actorId).role, 'manageBans')
        if (members.some((m) => m.userId === userId)) throw conflict('The user joined meanwhile: remove them (DELETE /groups/:id/members/:userId)')
        const user = await tx.user.findFirst({ where: { id: userId, deletedAt: null }, select: { id: true } })
        if (user === null) throw Errors.userNotFound()
        await recordBan(tx, groupId, userId, actorId)
      })
    },

    /** GET /groups/:id/bans, newest first. */
    async list (actorId: string, groupId: string): Promise<BannedMember[]> {
      const member = await prisma.conversationMember.findUnique({
        where: { conversationId_userId: { conversationId: groupId, userId: actorId } },
        select: { role: true, conversation: { select: { type: true } } }
      })
      if (member === null || member.conversation.type === 'direct') throw groupNotFound()
      requireRole(member.role, 'manageBans')
      const rows = await sql.query<BanRow>(BAN_LIST_SQL, [groupId, BAN_LIST_MAX], 'ban_list')
      return rows.map((r) => ({
        user: { id: r.user_id, username: r.username, displayName: r.display_name, avatarUrl: r.avatar_url },
        bannedBy: r.removed_by,
        bannedAt: r.removed_at.toISOString()
      }))
    },

    /** DELETE /groups/:id/bans/:userId: the user may join again (a channel) or use invites (a group). Not banned: NOT_FOUND. */
    async unban (actorId: string, groupId: string, userId: string): Promise<void> {
      await prisma.$transaction(async (tx) => {
        await lockGroup(tx, groupId, true)
        requireRole(actorOf(await groupMembers(tx, groupId), actorId).role, 'manageBans')
        if (await liftBans(tx, groupId, [userId]) === 0) throw banNotFound()
      })
    }
  }
}

export type BanService = ReturnType<typeof createBanService>
