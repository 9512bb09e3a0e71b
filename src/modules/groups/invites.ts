import type { Invite, InviteLink } from '@relay-im/client/protocol'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { isForeignKeyViolation } from '../../db/constraint-errors.js'
import { conflict, Errors, notFound } from '../../lib/errors.js'
import { type ConversationService, type ConversationsDeps, requireRole, type ConversationView } from '../conversations/index.js'
import { groupMembers, groupNotFound, lockGroup } from './service.js'
import { refuseIfBanned } from './membership-rules.js'
import { INVITE_LIVE_SQL, INVITE_PREVIEW_SQL, INVITE_USE_SQL, inviteListSql } from './sql.js'
import { txSql } from '../../db/tx-sql.js'
import { createSystemPublisher, writeSystemMessage } from '../messages/index.js'

/** 24 random bytes (192 bits), base64url: 32 characters. */
const CODE_BYTES = 24
const CODE_PATTERN = /^[A-Za-z0-9_-]{32}$/

export const inviteNotFound = () => notFound('Invite not found')

/** `POST /groups/:id/invites`: the contract's invite, with its code (shown this once). */
export type InviteView = Invite


/** The most a group's list shows (newest first). */
export const INVITE_LIST_MAX = 200
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface InvitePreview { conversation: { id: string, name: string, topic: string | null, memberCount: number } }

/** Only this hash is stored: a database leak does not hand out working invite links. */
const hashOf = (code: string): string => createHash('sha256').update(code).digest('hex')

/** The hash of a well-formed code; anything else is NOT_FOUND, like an unknown code. */
function hashOrNotFound (code: string): string {
  if (!CODE_PATTERN.test(code)) throw inviteNotFound()
  return hashOf(code)
}

interface LiveInvite { id: string, conversation_id: string }

/**
 * Invite links of groups: made and revoked by the owner and admins, previewed by any
 * signed-in user, used to join. Codes are 192 random bits; only their SHA-256 is stored, so
 * a code is shown once (on creation); the owner and admins list the live invites by id (with
 * maker, time, uses, expiry) and revoke one by id or by code.
 */
export function createInviteService (deps: ConversationsDeps, conversations: ConversationService) {
  const { prisma, sql, limits } = deps
  const publishSystem = createSystemPublisher(deps)

  async function live (code: string): Promise<LiveInvite> {
    const rows = await sql.query<LiveInvite>(INVITE_LIVE_SQL, [hashOrNotFound(code)], 'invite_live')
    const invite = rows[0]
    if (invite === undefined) throw inviteNotFound()
    return invite
  }

  /** The caller must be the group's owner or an admin: not a member (or not a group) NOT_FOUND, a plain member FORBIDDEN. */
  async function requireManager (actorId: string, groupId: string): Promise<void> {
    const member = await prisma.conversationMember.findUnique({
      where: { conversationId_userId: { conversationId: groupId, userId: actorId } },
      select: { role: true, conversation: { select: { type: true } } }
    })
    if (member === null || member.conversation.type !== 'group') throw groupNotFound()
    requireRole(member.role, 'manageInvites')
  }

  return {
    async create (actorId: string, groupId: string, opts: { expiresInS?: number, maxUses?: number }): Promise<InviteView> {
      await requireManager(actorId, groupId)
      const code = randomBytes(CODE_BYTES).toString('base64url')
      const expiresAt = opts.expiresInS === undefined ? null : new Date(Date.now() + opts.expiresInS * 1000)
      // Under the group's row lock, the lock of a demotion or removal: an invite made by an
      // admin being demoted either exists before it (and is revoked by it) or is refused.
      const row = await prisma.$transaction(async (tx) => {
        await lockGroup(tx, groupId)
        const member = await tx.conversationMember.findUnique({ where: { conversationId_userId: { conversationId: groupId, userId: actorId } }, select: { role: true } })
        if (member === null) throw groupNotFound()
        requireRole(member.role, 'manageInvites')
        return await tx.groupInvite.create({
          data: { id: randomUUID(), conversationId: groupId, codeHash: hashOf(code), createdBy: actorId, expiresAt, maxUses: opts.maxUses ?? null }
        })
      })
      return { id: row.id, code, conversationId: groupId, expiresAt: row.expiresAt?.toISOString() ?? null, maxUses: row.maxUses, uses: row.uses, createdAt: row.createdAt.toISOString() }
    },

    /** GET /invites/:code: what the invite leads to (any signed-in user). */
    async preview (code: string): Promise<InvitePreview> {
      const invite = await live(code)
      const rows = await sql.query<{ id: string, name: string | null, topic: string | null, member_count: number }>(INVITE_PREVIEW_SQL, [invite.conversation_id], 'invite_preview')
      const c = rows[0]
      if (c === undefined) throw inviteNotFound()
      return { conversation: { id: c.id, name: c.name ?? '', topic: c.topic, memberCount: c.member_count } }
    },

    /** GET /groups/:id/invites: the live invites (not revoked, expired or used up), newest first. */
    async list (actorId: string, groupId: string): Promise<InviteLink[]> {
      await requireManager(actorId, groupId)
      const rows = await sql.query<{ id: string, created_by: string | null, created_at: Date, expires_at: Date | null, max_uses: number | null, uses: number }>(
        inviteListSql(INVITE_LIST_MAX), [groupId], 'invite_list')
      return rows.map((r) => ({
        id: r.id,
        conversationId: groupId,
        createdBy: r.created_by,
        createdAt: r.created_at.toISOString(),
        expiresAt: r.expires_at?.toISOString() ?? null,
        maxUses: r.max_uses,
        uses: r.uses
      }))
    },

    /**
     * POST /invites/:code/join. Already a member: the conversation, nothing counted.
     * Banned (removed by the owner or an admin, not unbanned since): FORBIDDEN. A full group:
     * CONFLICT. The use is counted under the group's row lock, so maxUses holds under races.
     */
    async join (userId: string, code: string): Promise<ConversationView> {
      const invite = await live(code)
      const groupId = invite.conversation_id
      const system: string[] = []
      try {
        await prisma.$transaction(async (tx) => {
          const group = await lockGroup(tx, groupId).catch(() => { throw inviteNotFound() })
          const members = await groupMembers(tx, groupId)
          if (members.some((m) => m.userId === userId)) return
          await refuseIfBanned(tx, groupId, userId)
          if (members.length + 1 > limits.groupMaxMembers) throw conflict(`Group is full (at most ${limits.groupMaxMembers} members)`)
          const used = await txSql(tx).execute(INVITE_USE_SQL, [invite.id])
          if (used === 0) throw inviteNotFound()
          await tx.conversationMember.create({ data: { conversationId: groupId, userId, role: 'member', readSeq: group.last_seq, deliveredSeq: group.last_seq } })
          system.push(await writeSystemMessage(tx, groupId, { event: 'member_joined', actorId: userId }))
        })
      } catch (err) {
        // the caller's account is gone (a deleted account's token)
        if (isForeignKeyViolation(err)) throw Errors.invalidToken()
        throw err
      }
      if (system.length > 0) {
        await publishSystem(system)
        const members = await prisma.conversationMember.findMany({ where: { conversationId: groupId }, select: { userId: true } })
        await conversations.announce(groupId, members.map((m) => m.userId))
      }
      return await conversations.view(groupId, userId)
    },

    /**
     * DELETE /groups/:id/invites/:code: owner and admins, by the code or by the invite's id (a
     * uuid: never a well-formed code); revoking a revoked invite is a no-op.
     */
    async revoke (actorId: string, groupId: string, codeOrId: string): Promise<void> {
      const which = UUID_PATTERN.test(codeOrId) ? { id: codeOrId.toLowerCase() } : { codeHash: hashOrNotFound(codeOrId) }
      await requireManager(actorId, groupId)
      const n = await prisma.groupInvite.updateMany({ where: { ...which, conversationId: groupId, revokedAt: null }, data: { revokedAt: new Date() } })
      if (n.count === 0 && await prisma.groupInvite.count({ where: { ...which, conversationId: groupId } }) === 0) throw inviteNotFound()
    }
  }
}

export type InviteService = ReturnType<typeof createInviteService>

/** For tests: the stored hash of a code. */
export const inviteHash = hashOf
/** Used to assert the code's strength in tests. */
export const INVITE_CODE_BITS = CODE_BYTES * 8
