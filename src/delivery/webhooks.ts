import type { ServerEvent } from '../plugins/realtime/index.js'
import type { Change } from './index.js'

export interface WebhookWaker {
  notify: (memberIds: readonly string[]) => void
  notifyAny: () => void
}

/**
 * A new message wakes the bot webhook worker (src/modules/bots/webhooks.ts), which derives
 * what to post from the committed rows: a member bot with a webhook, or, for a channel whose
 * member list is not read here, any bot with one.
 */
export function wakeWebhooks<E extends ServerEvent> (webhooks: WebhookWaker, { event, audience }: Change<E>): void {
  if (event !== 'message:new') return
  if ('channel' in audience) webhooks.notifyAny()
  else webhooks.notify(audience.users)
}
