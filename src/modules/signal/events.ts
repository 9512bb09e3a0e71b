import { defineEvent, type Realtime } from '../../plugins/realtime/index.js'
import { SignalEvent } from './schemas.js'
import type { SignalService } from './service.js'

/** `signal`: an app-defined message (call setup and the like) relayed to every device of the target, never stored. */
export function registerSignalEvents (realtime: Realtime, service: SignalService): void {
  realtime.handle({
    signal: defineEvent(SignalEvent, async (ctx, p) => {
      await service.authorise(ctx.userId, p.toUserId)
      realtime.toUser(p.toUserId, 'signal', { fromUserId: ctx.userId, name: p.name, payload: p.payload })
      return {}
    })
  })
}
