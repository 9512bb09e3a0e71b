import { Errors } from '../../lib/errors.js'
import { defineEvent, type Realtime, type SocketContext } from '../../plugins/realtime/index.js'
import { TypingEvent } from './schemas.js'
import type { PresenceService } from './service.js'

/**
 * A socket relays `typing: true` for a conversation at most this often. The client SDK sends
 * it every 2 s while the user types; the server window is shorter so network jitter does not
 * drop a repeat. `typing: false` is always relayed.
 */
export const TYPING_RELAY_INTERVAL_MS = 1500

/** `typing`: relayed live to the conversation's other members, never stored. */
export function registerTypingEvents (realtime: Realtime, service: Pick<PresenceService, 'memberIds'>): void {
  // Per socket (its context object lives as long as the socket): conversationId -> the last
  // relayed typing:true, with its membership check (a burst waits for the first one's answer).
  const lastRelayed = new WeakMap<SocketContext, Map<string, { at: number, member: Promise<boolean> }>>()

  realtime.handle({
    typing: defineEvent(TypingEvent, async (ctx, p) => {
      let relayed = lastRelayed.get(ctx)
      if (relayed === undefined) lastRelayed.set(ctx, relayed = new Map())
      const now = Date.now()
      const last = relayed.get(p.conversationId)
      if (p.typing && last !== undefined && now - last.at < TYPING_RELAY_INTERVAL_MS) {
        if (await last.member) return {}
        throw Errors.notMember()
      }

      const members = service.memberIds(p.conversationId, ctx.userId)
      const member = members.then((ids) => ids.includes(ctx.userId), () => false)
      if (p.typing) relayed.set(p.conversationId, { at: now, member })
      else relayed.delete(p.conversationId)
      if (!await member) {
        if (relayed.get(p.conversationId)?.member === member) relayed.delete(p.conversationId)
        await members // a database error surfaces as INTERNAL, not as NOT_FOUND
        throw Errors.notMember()
      }
      realtime.toUsers((await members).filter((id) => id !== ctx.userId), 'typing', { conversationId: p.conversationId, userId: ctx.userId, typing: p.typing })
      return {}
    })
  })
}
