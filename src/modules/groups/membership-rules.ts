import type { Prisma } from '../../generated/prisma/client.js'
import { forbidden } from '../../lib/errors.js'
import { txSql } from '../../db/tx-sql.js'
import { BAN_OF_SQL, MEMBER_OR_BAN_SQL, RECORD_BAN_SQL, REVOKE_INVITES_OF_SQL } from './sql.js'

/**
 * What a membership change leaves behind, decided in one place:
 * - a removal by the owner or an admin is a ban (`group_removals`): the user cannot come back
 *   by `POST /channels/:id/join` nor by any invite until an owner or admin unbans them (or
 *   adds them back, which is the same decision);
 * - a member who loses the right to make invites (demoted, removed, leaving, deleting their
 *   account) loses the invites they made: they are revoked in the same transaction.
 * Every caller holds the conversation's row lock (`lockGroup`), so a join and a ban are ordered.
 */

export const bannedRefusal = () => forbidden('You were removed from this conversation by its owner or an admin; they can unban you')

/** FORBIDDEN when the user is banned from the conversation: the one check of `join` and of invites. */
export async function refuseIfBanned (tx: Prisma.TransactionClient, conversationId: string, userId: string): Promise<void> {
  const [ban] = await txSql(tx).query<{ user_id: string }>(BAN_OF_SQL, [conversationId, userId])
  if (ban !== undefined) throw bannedRefusal()
}

/**
 * A join's two checks in one round trip: true when the user is a member already (nothing to
 * do); otherwise FORBIDDEN when banned, as `refuseIfBanned`. Run under the row lock, after
 * taking it: the statement's snapshot is then newer than any ban or join ordered before it.
 */
export async function isMemberElseRefuseIfBanned (tx: Prisma.TransactionClient, conversationId: string, userId: string): Promise<boolean> {
  const [row] = await txSql(tx).query<{ member: boolean, banned: boolean }>(MEMBER_OR_BAN_SQL, [conversationId, userId])
  if (row?.member === true) return true
  if (row?.banned === true) throw bannedRefusal()
  return false
}

export async function recordBan (tx: Prisma.TransactionClient, conversationId: string, userId: string, actorId: string): Promise<void> {
  await txSql(tx).execute(RECORD_BAN_SQL, [conversationId, userId, actorId])
}

/** Lifts bans; the number lifted. */
export async function liftBans (tx: Prisma.TransactionClient, conversationId: string, userIds: string[]): Promise<number> {
  if (userIds.length === 0) return 0
  const { count } = await tx.groupRemoval.deleteMany({ where: { conversationId, userId: { in: userIds } } })
  return count
}

/** Revokes the live invites `userId` made to the conversation (they can no longer manage invites there). */
export async function revokeInvitesOf (tx: Prisma.TransactionClient, conversationId: string, userId: string): Promise<number> {
  return await txSql(tx).execute(REVOKE_INVITES_OF_SQL, [conversationId, userId])
}
