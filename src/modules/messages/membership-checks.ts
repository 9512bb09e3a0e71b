import { type AppError, Errors, forbidden } from '../../lib/errors.js'
import type { ConversationsDeps } from '../conversations/index.js'
import { PUBLIC_READER_SQL } from './sql.js'

type Prisma = ConversationsDeps['prisma']

/** A non-member's refusal: FORBIDDEN in a channel (it is public: readable, but only members write), else NOT_FOUND. */
export async function notMemberOf (prisma: Prisma, conversationId: string): Promise<AppError> {
  const c = await prisma.conversation.findUnique({ where: { id: conversationId }, select: { type: true } })
  return c?.type === 'channel' ? Errors.notChannelMember() : Errors.notMember()
}

/** The caller is a member of the conversation, else NOT_FOUND. */
export async function assertMember (prisma: Prisma, userId: string, conversationId: string): Promise<void> {
  const member = await prisma.conversationMember.findUnique({
    where: { conversationId_userId: { conversationId, userId } },
    select: { userId: true }
  })
  if (member === null) throw Errors.notMember()
}

/**
 * Why `senderId` may not post in the conversation now, or undefined when they may: not a
 * member (see `notMemberOf`), or in a direct conversation a peer who is no longer a friend or
 * blocks either way. The send statement applies the same rule; this names the refusal.
 */
export async function postingRefusal (deps: Pick<ConversationsDeps, 'prisma' | 'friends'>, senderId: string, conversationId: string): Promise<AppError | undefined> {
  const member = await deps.prisma.conversationMember.findUnique({
    where: { conversationId_userId: { conversationId, userId: senderId } },
    select: { conversation: { select: { type: true, directKey: true } } }
  })
  if (member === null) return await notMemberOf(deps.prisma, conversationId)
  const { type, directKey } = member.conversation
  if (type === 'direct' && directKey !== null) {
    const peer = directKey.split(':').find((id) => id !== senderId) ?? senderId
    const relation = await deps.friends.relation(senderId, peer)
    if (relation.blocked || relation.blockedBy) return Errors.blocked()
    if (!relation.isFriend) return Errors.notFriends()
  }
  return undefined
}

/**
 * A non-member reads a channel as the public does (its history and its threads), unless the
 * channel's owner or an admin banned them; undefined when they may, else the refusal:
 * NOT_FOUND (not a channel: a group or direct conversation is for its members only) or
 * FORBIDDEN (banned). The caller has found that `userId` is not a member.
 */
export async function publicReadRefusal (sql: ConversationsDeps['sql'], userId: string, conversationId: string): Promise<AppError | undefined> {
  const row = (await sql.query<{ type: string, banned: boolean }>(PUBLIC_READER_SQL, [conversationId, userId], 'public_reader'))[0]
  if (row?.type !== 'channel') return Errors.notMember()
  return row.banned ? forbidden('You were banned from this channel') : undefined
}
