import { AppError, validation } from '../../lib/errors.js'
import { defineEvent, type Realtime } from '../../plugins/realtime/index.js'
import { type ConversationService, toAck } from '../conversations/index.js'
import { CursorEvent, EditEvent, PinEvent, ReactionEvent, RecallEvent, SendMessageEvent, SyncEvent } from './schemas.js'
import { SYNC_MAX_CURSORS } from '@relay-im/client/protocol'
import type { MessageChanges } from './message-changes.js'
import type { MessageService } from './service.js'

/** Socket events of messages; payloads are validated by the realtime plugin first. */
export function registerMessageEvents (realtime: Realtime, conversations: ConversationService, messages: MessageService, actions: MessageChanges): void {
  realtime.handle({
    'message:send': defineEvent(SendMessageEvent, async (ctx, p) => {
      if ((p.conversationId === undefined) === (p.toUserId === undefined)) throw validation('Give exactly one of conversationId or toUserId')
      const conversationId = p.conversationId ?? await conversations.directIdForSend(ctx.userId, p.toUserId ?? '')
      const { message } = await messages.send(ctx.userId, conversationId, {
        clientMsgId: p.clientMsgId, type: p.type, content: p.content, replyTo: p.replyTo, mentions: p.mentions, forwardOf: p.forwardOf, linkPreview: p.linkPreview,
        threadRootId: p.threadRootId, alsoInChat: p.alsoInChat
      })
      return toAck(message)
    }),
    'message:read': defineEvent(CursorEvent, async (ctx, p) => await messages.markRead(ctx.userId, p.conversationId, p.seq)),
    'message:delivered': defineEvent(CursorEvent, async (ctx, p) => await messages.markDelivered(ctx.userId, p.conversationId, p.seq)),
    'message:recall': defineEvent(RecallEvent, async (ctx, p) => {
      await messages.recall(ctx.userId, p.messageId)
      return {}
    }),
    'message:edit': defineEvent(EditEvent, async (ctx, p) => await actions.edit(ctx.userId, p.messageId, p.content)),
    'message:pin': defineEvent(PinEvent, async (ctx, p) => await actions.pin(ctx.userId, p.messageId, p.pinned)),
    'reaction:add': defineEvent(ReactionEvent, async (ctx, p) => await actions.react(ctx.userId, p.messageId, p.emoji, true)),
    'reaction:remove': defineEvent(ReactionEvent, async (ctx, p) => await actions.react(ctx.userId, p.messageId, p.emoji, false)),
    sync: defineEvent(SyncEvent, async (ctx, p) => {
      if (p.membershipsSince !== undefined && p.membershipsSince !== null && Number(p.membershipsSince) > 2 ** 31 - 1) throw validation('membershipsSince is not a token this server gave')
      const memberships = p.membershipsSince === undefined
        ? undefined
        : { since: p.membershipsSince, max: SYNC_MAX_CURSORS, view: async (id: string) => await conversations.view(id, ctx.userId).catch(goneMeanwhile) }
      return await messages.sync(ctx.userId, p.cursors, p.limit, p.revs, memberships, p.threads === true)
    })
  })
}

/** A conversation left or deleted between reading the memberships and its view is skipped. */
function goneMeanwhile (err: unknown): undefined {
  if (err instanceof AppError && err.code === 'NOT_FOUND') return undefined
  throw err
}
