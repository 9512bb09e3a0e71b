import { randomUUID } from 'node:crypto'
import type { Prisma } from '../../generated/prisma/client.js'
import { isForeignKeyViolation } from '../../db/constraint-errors.js'
import { conflict, Errors, notFound, validation, forbidden } from '../../lib/errors.js'
import { requireLabel } from '../../lib/text-policy.js'
import { type ConversationService, type ConversationsDeps, mayRemove, requireRole, type GroupRole, type ConversationView } from '../conversations/index.js'
import { liftBans, recordBan, revokeInvitesOf } from './membership-rules.js'
import { LOCK_GROUP_SQL } from './sql.js'
import { txSql } from '../../db/tx-sql.js'
import { createSystemPublisher, writeSystemMessage } from '../messages/index.js'

export const groupNotFound = () => notFound('Group not found')
export const memberNotFound = () => notFound('Member not found')

export interface LockedGroup {
  id: string
  type: string
  name: string | null
  last_seq: number
  created_at: Date
  activity_at: Date
}

export interface GroupMember { userId: string, role: GroupRole, joinedAt: Date }

/**
 * Locks a group's row (the lock sends take): membership changes and sends are ordered. Not a
 * group (or, with `channels`, a channel: leaving and removal): NOT_FOUND.
 */
export async function lockGroup (tx: Prisma.TransactionClient, groupId: string, channels = false): Promise<LockedGroup> {
  const [group] = await txSql(tx).query<LockedGroup>(LOCK_GROUP_SQL, [groupId])
  if (group === undefined || !(group.type === 'group' || (channels && group.type === 'channel'))) throw groupNotFound()
  return group
}

/** Members, longest-standing first (joinedAt, then id): the order of the leaving-owner rule. */
export async function groupMembers (tx: Prisma.TransactionClient, groupId: string): Promise<GroupMember[]> {
  return await tx.conversationMember.findMany({
    where: { conversationId: groupId },
    select: { userId: true, role: true, joinedAt: true },
    orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }]
  })
}

/** The caller's membership, or NOT_FOUND (an outsider learns nothing about the group). */
export function actorOf (members: GroupMember[], actorId: string): GroupMember {
  const actor = members.find((m) => m.userId === actorId)
  if (actor === undefined) throw groupNotFound()
  return actor
}

/** Who inherits a leaving owner's group: the oldest admin, else the oldest member. */
export function heirOf (rest: GroupMember[]): GroupMember | undefined {
  return rest.find((m) => m.role === 'admin') ?? rest[0]
}

/** Profile text (name, topic) of a group or a channel: a label (src/lib/text-policy.ts) of at most `max` characters. */
export const checkProfileText = requireLabel

export const NAME_MAX = 64
export const TOPIC_MAX = 256
const UPLOAD_URL = /^\/api\/uploads\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

/**
 * Group creation, membership, profile and roles. Every change locks the conversation row
 * first (the same lock a send takes), so membership changes and sends are ordered and cannot
 * deadlock; its system messages take their seqs in the same transaction and are published
 * after the commit.
 */
export function createGroupService (deps: ConversationsDeps, conversations: ConversationService) {
  const { prisma, limits } = deps
  const publishSystem = createSystemPublisher(deps)

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

  async function setRoleRow (tx: Prisma.TransactionClient, groupId: string, userId: string, role: GroupRole): Promise<void> {
    await tx.conversationMember.update({ where: { conversationId_userId: { conversationId: groupId, userId } }, data: { role } })
  }

  /**
   * Runs a change of a group in a transaction, then publishes its system messages and
   * `conversation:updated` to `tell` and the current members (`only`: to `tell` alone, as a
   * channel does: its thousands of members are not told of every departure).
   */
  async function change (groupId: string, fn: (tx: Prisma.TransactionClient, system: string[]) => Promise<{ tell?: string[], only?: boolean, room?: boolean } | undefined>): Promise<void> {
    const system: string[] = []
    const out = await prisma.$transaction(async (tx) => await fn(tx, system))
    if (system.length > 0) {
      await publishSystem(system)
      if (out?.room === true) {
        await conversations.announce(groupId, [], { room: true })
        return
      }
      const members = out?.only === true ? [] : await prisma.conversationMember.findMany({ where: { conversationId: groupId }, select: { userId: true } })
      await conversations.announce(groupId, [...members.map((m) => m.userId), ...(out?.tell ?? [])])
    }
  }

  /** A change, then the caller's view of the group. */
  async function changeAndView (actorId: string, groupId: string, fn: Parameters<typeof change>[1]): Promise<ConversationView> {
    await change(groupId, fn)
    return await conversations.view(groupId, actorId)
  }

  return {
    async create (ownerId: string, input: { name: string, memberIds: string[] }): Promise<ConversationView> {
      const name = checkProfileText('name', input.name, NAME_MAX)
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
              name,
              ownerId,
              // In user id order: each insert takes its user's membership clock (a row lock), so concurrent creations cannot deadlock.
              members: { create: [{ userId: ownerId, role: 'owner' as const }, ...others.map((userId) => ({ userId, role: 'member' as const }))].sort(byUserId) }
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

    /** Owner or admin adds users; ones already in are skipped. A full group -> CONFLICT. Adding a banned user lifts the ban. */
    async addMembers (actorId: string, groupId: string, userIds: string[]): Promise<ConversationView> {
      return await changeAndView(actorId, groupId, async (tx, system) => {
        const group = await lockGroup(tx, groupId)
        const members = await groupMembers(tx, groupId)
        requireRole(actorOf(members, actorId).role, 'addMembers')
        const present = new Set(members.map((m) => m.userId))
        const added = [...new Set(userIds)].filter((id) => !present.has(id))
        if (added.length === 0) return undefined
        await checkAddable(tx, actorId, added)
        if (members.length + added.length > limits.groupMaxMembers) throw conflict(`Group is full (at most ${limits.groupMaxMembers} members)`)
        // Newcomers start caught up: history is readable, but old messages are not unread.
        await tx.conversationMember.createMany({
          data: added.map((userId) => ({ conversationId: groupId, userId, role: 'member' as const, readSeq: group.last_seq, deliveredSeq: group.last_seq })).sort(byUserId)
        })
        await liftBans(tx, groupId, added)
        system.push(await writeSystemMessage(tx, groupId, { event: 'member_added', actorId, userIds: added }))
        return undefined
      })
    },

    /**
     * Owner/admin removes a member (an admin removes plain members only; nobody removes the
     * owner); anyone removes themselves (leave). A removal by someone else is a ban
     * (membership-rules.ts): no join or invite lets the user back until an unban. Whoever
     * goes, the invites they made are revoked. When the owner leaves, the
     * oldest admin, else the oldest member, becomes owner; when the last member leaves, the
     * group and its messages are deleted.
     */
    async removeMember (actorId: string, groupId: string, targetId: string): Promise<ConversationView> {
      let gone: ConversationView | undefined
      let before: string[] = []
      let channel = false
      await change(groupId, async (tx, system) => {
        const group = await lockGroup(tx, groupId, true)
        channel = group.type === 'channel'
        const members = await groupMembers(tx, groupId)
        const actor = actorOf(members, actorId)
        const target = members.find((m) => m.userId === targetId)
        if (target === undefined) throw memberNotFound()
        before = members.map((m) => m.userId)
        if (actorId !== targetId) {
          requireRole(actor.role, 'removeMembers')
          if (!mayRemove(actor.role, target.role)) throw forbidden('Only the owner can remove an admin; nobody can remove the owner')
        }
        await tx.conversationMember.delete({ where: { conversationId_userId: { conversationId: groupId, userId: targetId } } })
        await revokeInvitesOf(tx, groupId, targetId)
        const rest = members.filter((m) => m.userId !== targetId)
        const heir = heirOf(rest)
        if (heir === undefined) {
          await tx.conversation.delete({ where: { id: groupId } })
          gone = {
            id: group.id,
            type: channel ? 'channel' : 'group',
            name: group.name ?? '',
            ownerId: null,
            members: [],
            lastMessage: null,
            historyStartsAt: 0,
            lastSeq: group.last_seq,
            createdAt: group.created_at.toISOString(),
            lastActivityAt: group.activity_at.toISOString()
          }
          return undefined
        }
        if (actorId !== targetId) {
          await recordBan(tx, groupId, targetId, actorId)
          system.push(await writeSystemMessage(tx, groupId, { event: 'member_removed', actorId, userIds: [targetId] }))
        } else {
          system.push(await writeSystemMessage(tx, groupId, { event: 'member_left', actorId }))
        }
        if (target.role === 'owner') {
          await setRoleRow(tx, groupId, heir.userId, 'owner')
          await tx.conversation.update({ where: { id: groupId }, data: { ownerId: heir.userId } })
          system.push(await writeSystemMessage(tx, groupId, { event: 'owner_transferred', actorId, userIds: [heir.userId] }))
        }
        // The removed member is told too: they see the member list without themselves. In a
        // channel only the removed member and the remover are (see `change`).
        return channel ? { tell: [...new Set([targetId, actorId])], only: true } : { tell: [targetId] }
      })
      // A channel's room: the removed member's sockets leave it (on every node).
      if (channel) deps.delivery.leaveChannel([targetId], groupId)
      if (gone !== undefined) {
        deps.delivery.deliver({ event: 'conversation:updated', payload: gone, audience: { users: channel ? [...new Set([targetId, actorId])] : before } })
        return gone
      }
      if (actorId === targetId) {
        const shared = await conversations.sharedView(groupId)
        if (shared === undefined) throw groupNotFound()
        return shared
      }
      return await conversations.view(groupId, actorId)
    },

    /** PATCH /groups/:id: owner and admins; `conversation:updated` and a system message per field that changed. */
    async updateProfile (actorId: string, groupId: string, patch: { name?: string, topic?: string | null, avatarUrl?: string | null }): Promise<ConversationView> {
      const name = patch.name === undefined ? undefined : checkProfileText('name', patch.name, NAME_MAX)
      const topic = patch.topic === undefined || patch.topic === null ? patch.topic : checkProfileText('topic', patch.topic, TOPIC_MAX)
      if (name === undefined && topic === undefined && patch.avatarUrl === undefined) throw validation('Give at least one of name, topic, avatarUrl')
      return await changeAndView(actorId, groupId, async (tx, system) => {
        const group = await lockGroup(tx, groupId, true)
        const members = await groupMembers(tx, groupId)
        requireRole(actorOf(members, actorId).role, 'editProfile')
        if (patch.avatarUrl !== undefined && patch.avatarUrl !== null) {
          const id = UPLOAD_URL.exec(patch.avatarUrl)?.[1]
          const upload = id === undefined ? null : await tx.upload.findUnique({ where: { id }, select: { uploaderId: true, mime: true } })
          if (upload === null || upload.uploaderId !== actorId || !upload.mime.startsWith('image/')) {
            throw validation('avatarUrl: must be an image you uploaded to this server (/api/uploads/<id>)')
          }
        }
        const current = await tx.conversation.findUniqueOrThrow({ where: { id: groupId }, select: { name: true, topic: true, avatarUrl: true } })
        const data: { name?: string, topic?: string | null, avatarUrl?: string | null } = {}
        if (name !== undefined && name !== current.name) data.name = name
        if (topic !== undefined && topic !== current.topic) data.topic = topic
        if (patch.avatarUrl !== undefined && patch.avatarUrl !== current.avatarUrl) data.avatarUrl = patch.avatarUrl
        if (Object.keys(data).length === 0) return undefined
        await tx.conversation.update({ where: { id: groupId }, data })
        if (data.name !== undefined) system.push(await writeSystemMessage(tx, groupId, { event: 'renamed', actorId, name: data.name }))
        if (data.topic !== undefined) system.push(await writeSystemMessage(tx, groupId, { event: 'topic_changed', actorId, topic: data.topic ?? '' }))
        if (data.avatarUrl !== undefined) system.push(await writeSystemMessage(tx, groupId, { event: 'avatar_changed', actorId }))
        return { room: group.type === 'channel' }
      })
    },

    /**
     * PUT /groups/:id/retention (groups and channels): owner and admins set how many days
     * messages are kept, within the server's bounds, or null for the server's default
     * (docs/protocol.md, "Retention"); a system message says so when it changed.
     */
    async setRetention (actorId: string, groupId: string, days: number | null): Promise<ConversationView> {
      return await changeAndView(actorId, groupId, async (tx, system) => {
        const group = await lockGroup(tx, groupId, true)
        const members = await groupMembers(tx, groupId)
        requireRole(actorOf(members, actorId).role, 'setRetention')
        // The body's rules after the role (docs/protocol.md, "Group roles": the order of checks).
        if (days !== null && (!Number.isSafeInteger(days) || days < limits.retentionMinDays || days > limits.retentionMaxDays)) {
          throw validation(`days: between ${limits.retentionMinDays} and ${limits.retentionMaxDays}, or null for the server's default`)
        }
        const current = await tx.conversation.findUniqueOrThrow({ where: { id: groupId }, select: { retentionDays: true } })
        if (current.retentionDays === days) return undefined
        await tx.conversation.update({ where: { id: groupId }, data: { retentionDays: days } })
        system.push(await writeSystemMessage(tx, groupId, { event: 'retention_changed', actorId, days }))
        return { room: group.type === 'channel' }
      })
    },

    /** PUT /groups/:id/members/:userId/role: the owner makes a member admin or an admin member (whose invites are revoked). */
    async setRole (actorId: string, groupId: string, targetId: string, role: 'admin' | 'member'): Promise<ConversationView> {
      return await changeAndView(actorId, groupId, async (tx, system) => {
        const group = await lockGroup(tx, groupId, true)
        const members = await groupMembers(tx, groupId)
        requireRole(actorOf(members, actorId).role, 'setRole')
        const target = members.find((m) => m.userId === targetId)
        if (target === undefined) throw memberNotFound()
        if (target.role === 'owner') throw validation('The owner\'s role changes only by a transfer (POST /groups/:id/transfer)')
        if (target.role === role) return undefined
        await setRoleRow(tx, groupId, targetId, role)
        if (role === 'member') await revokeInvitesOf(tx, groupId, targetId)
        system.push(await writeSystemMessage(tx, groupId, { event: 'role_changed', actorId, userIds: [targetId], role }))
        return { room: group.type === 'channel' }
      })
    },

    /** POST /groups/:id/transfer: the owner hands the group to another member and becomes an admin. */
    async transfer (actorId: string, groupId: string, targetId: string): Promise<ConversationView> {
      return await changeAndView(actorId, groupId, async (tx, system) => {
        const group = await lockGroup(tx, groupId, true)
        const members = await groupMembers(tx, groupId)
        requireRole(actorOf(members, actorId).role, 'transferOwnership')
        if (targetId === actorId) throw validation('You already own this group')
        if (!members.some((m) => m.userId === targetId)) throw memberNotFound()
        await setRoleRow(tx, groupId, actorId, 'admin')
        await setRoleRow(tx, groupId, targetId, 'owner')
        await tx.conversation.update({ where: { id: groupId }, data: { ownerId: targetId } })
        system.push(await writeSystemMessage(tx, groupId, { event: 'owner_transferred', actorId, userIds: [targetId] }))
        return { room: group.type === 'channel' }
      })
    }
  }
}

export type GroupService = ReturnType<typeof createGroupService>

/** Membership inserts in user id order (see the membership clock, migration 20261206020000_membership_clock). */
function byUserId (a: { userId: string }, b: { userId: string }): number {
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0
}
