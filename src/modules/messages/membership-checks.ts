import { type AppError, Errors } from '../../lib/errors.js'
import type { ConversationsDeps } from '../conversations/index.js'

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
