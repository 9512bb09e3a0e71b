import { validation } from '../../lib/errors.js'
import { defineEvent, type Realtime } from '../../plugins/realtime.js'
import { toAck } from './rows.js'
import { CursorEvent, RecallEvent, SendMessageEvent, SyncEvent } from './schemas.js'
import type { ConversationsService } from './service.js'

/** Socket events of the conversations module; payloads are validated by the realtime plugin first. */
export function registerConversationEvents (realtime: Realtime, service: ConversationsService): void {
  const { conversations, messages } = service
  realtime.handle({
    'message:send': defineEvent(SendMessageEvent, async (ctx, p) => {
      if ((p.conversationId === undefined) === (p.toUserId === undefined)) throw validation('Give exactly one of conversationId or toUserId')
      const conversationId = p.conversationId ?? await conversations.directIdForSend(ctx.userId, p.toUserId ?? '')
      const { message } = await messages.send(ctx.userId, conversationId, { clientMsgId: p.clientMsgId, type: p.type, content: p.content })
      return toAck(message)
    }),
    'message:read': defineEvent(CursorEvent, async (ctx, p) => await messages.markRead(ctx.userId, p.conversationId, p.seq)),
    'message:delivered': defineEvent(CursorEvent, async (ctx, p) => await messages.markDelivered(ctx.userId, p.conversationId, p.seq)),
    'message:recall': defineEvent(RecallEvent, async (ctx, p) => {
      await messages.recall(ctx.userId, p.messageId)
      return {}
    }),
    sync: defineEvent(SyncEvent, async (ctx, p) => await messages.sync(ctx.userId, p.cursors, p.limit))
  })
}
