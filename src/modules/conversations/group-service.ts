import { randomUUID } from 'node:crypto'
import type { Prisma } from '../../generated/prisma/client.js'
import { isForeignKeyViolation } from '../../db/errors.js'
import { conflict, Errors, forbidden, notFound, validation } from '../../lib/errors.js'
import type { ConversationService } from './conversation-service.js'
import type { ConversationsDeps } from './deps.js'
import type { ConversationView } from './rows.js'

const groupNotFound = () => notFound('Group not found')

interface LockedGroup {
  id: string
  type: 'direct' | 'group' | 'channel'
  name: string | null
  last_seq: number
  created_at: Date
  activity_at: Date
}

/**
 * Group creation and membership. Every change locks the conversation row first (the same
 * lock a send takes), so membership changes and sends are ordered and cannot deadlock.
 */
export function createGroupService (deps: ConversationsDeps, conversations: ConversationService) {
  const { prisma, limits } = deps

  /** Locks a group (or, where `channels` is set, a channel) and reads it; anything else is NOT_FOUND. */
  async function lockGroup (tx: Prisma.TransactionClient, groupId: string, channels = false): Promise<LockedGroup> {
    const [group] = await tx.$queryRaw<LockedGroup[]>`
      SELECT id, type::text AS type, name, last_seq, created_at, coalesce(last_message_at, created_at) AS activity_at
      FROM conversations WHERE id = ${groupId}::uuid FOR UPDATE`
    if (group === undefined || !(group.type === 'group' || (channels && group.type === 'channel'))) throw groupNotFound()
    return group
  }

  /** Unknown users -> NOT_FOUND; a block either way between actor and any of them -> FORBIDDEN. */
  async function checkAddable (tx: Prisma.TransactionClient, actorId: string, userIds: string[]): Promise<void> {
    const found = await tx.user.count({ where: { id: { in: userIds }, deletedAt: null } })
    if (found !== userIds.length) throw Errors.userNotFound()
    const block = await tx.block.findFirst({
      where: { OR: [{ blockerId: actorId, blockedId: { in: userIds } }, { blockerId: { in: userIds }, blockedId: actorId }] },
      select: { blockerId: true }
    })
    if (block !== null) throw Errors.blocked()
  }

  return {
    async create (ownerId: string, input: { name: string, memberIds: string[] }): Promise<ConversationView> {
      const others = [...new Set(input.memberIds)].filter((id) => id !== ownerId)
      if (others.length + 1 > limits.groupMaxMembers) throw validation(`A group has at most ${limits.groupMaxMembers} members`)
      const id = randomUUID()
      try {
        await prisma.$transaction(async (tx) => {
          if (others.length > 0) await checkAddable(tx, ownerId, others)
          await tx.conversation.create({
            data: {
              id,
              type: 'group',
              name: input.name.trim(),
              ownerId,
              members: { create: [{ userId: ownerId, role: 'owner' }, ...others.map((userId) => ({ userId, role: 'member' as const }))] }
            }
          })
        })
      } catch (err) {
        // The members were checked above, so the missing user is the caller: a deleted account's token.
        if (isForeignKeyViolation(err)) throw Errors.invalidToken()
        throw err
      }
      await conversations.announce(id, [ownerId, ...others])
      return await conversations.view(id, ownerId)
    },

    /** Owner or admin adds users; ones already in are skipped. A full group -> CONFLICT. */
    async addMembers (actorId: string, groupId: string, userIds: string[]): Promise<ConversationView> {
      const result = await prisma.$transaction(async (tx) => {
        const group = await lockGroup(tx, groupId)
        const members = await tx.conversationMember.findMany({ where: { conversationId: groupId }, select: { userId: true, role: true } })
        const actor = members.find((m) => m.userId === actorId)
        if (actor === undefined) throw groupNotFound()
        if (actor.role === 'member') throw forbidden('Only the owner or an admin can add members')
        const present = new Set(members.map((m) => m.userId))
        const added = [...new Set(userIds)].filter((id) => !present.has(id))
        if (added.length === 0) return { before: [...present], added }
        await checkAddable(tx, actorId, added)
        if (members.length + added.length > limits.groupMaxMembers) throw conflict(`Group is full (at most ${limits.groupMaxMembers} members)`)
        // Newcomers start caught up: history is readable, but old messages are not unread.
        await tx.conversationMember.createMany({
          data: added.map((userId) => ({ conversationId: groupId, userId, role: 'member' as const, readSeq: group.last_seq, deliveredSeq: group.last_seq }))
        })
        return { before: [...present], added }
      })
      if (result.added.length > 0) await conversations.announce(groupId, [...result.before, ...result.added])
      return await conversations.view(groupId, actorId)
    },

    /**
     * Owner/admin removes a member (an admin cannot remove the owner or another admin);
     * anyone removes themselves (leave). When the owner leaves, the longest-standing member
     * becomes owner; when the last member leaves, the group and its messages are deleted.
     */
    async removeMember (actorId: string, groupId: string, targetId: string): Promise<ConversationView> {
      const result = await prisma.$transaction(async (tx) => {
        const group = await lockGroup(tx, groupId, true)
        const members = await tx.conversationMember.findMany({
          where: { conversationId: groupId },
          select: { userId: true, role: true },
          orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }]
        })
        const actor = members.find((m) => m.userId === actorId)
        if (actor === undefined) throw groupNotFound()
        const target = members.find((m) => m.userId === targetId)
        if (target === undefined) throw notFound('Member not found')
        if (actorId !== targetId) {
          if (actor.role === 'member') throw forbidden('Only the owner or an admin can remove members')
          if (target.role === 'owner' || (target.role === 'admin' && actor.role !== 'owner')) throw forbidden('Only the owner can remove an admin; nobody can remove the owner')
        }
        await tx.conversationMember.delete({ where: { conversationId_userId: { conversationId: groupId, userId: targetId } } })
        const rest = members.filter((m) => m.userId !== targetId)
        // The contract's heir: the oldest admin, else the oldest member.
        const heir = rest.find((m) => m.role === 'admin') ?? rest[0]
        if (heir === undefined) {
          await tx.conversation.delete({ where: { id: groupId } })
          return { group, before: members.map((m) => m.userId), deleted: true }
        }
        if (target.role === 'owner') {
          await tx.conversationMember.update({ where: { conversationId_userId: { conversationId: groupId, userId: heir.userId } }, data: { role: 'owner' } })
          await tx.conversation.update({ where: { id: groupId }, data: { ownerId: heir.userId } })
        }
        return { group, before: members.map((m) => m.userId), deleted: false }
      })
      const { group } = result
      const channel = group.type === 'channel'
      // A channel's room: the removed member's sockets leave it (on every node).
      if (channel) deps.channels.leave([targetId], groupId)
      // A channel tells only the members concerned (thousands would otherwise get every departure).
      const told = channel ? [...new Set([targetId, actorId])] : result.before
      if (result.deleted) {
        const gone: ConversationView = {
          id: group.id,
          type: group.type,
          name: group.name ?? '',
          ownerId: null,
          members: [],
          lastMessage: null,
          lastSeq: group.last_seq,
          createdAt: group.created_at.toISOString(),
          lastActivityAt: group.activity_at.toISOString()
        }
        deps.publish(told, 'conversation:updated', gone)
        return gone
      }
      // The removed member is told too: they see the member list without themselves.
      await conversations.announce(groupId, told)
      if (actorId === targetId) {
        const shared = await conversations.sharedView(groupId)
        if (shared === undefined) throw groupNotFound()
        return shared
      }
      return await conversations.view(groupId, actorId)
    }
  }
}

export type GroupService = ReturnType<typeof createGroupService>
