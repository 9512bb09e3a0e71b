import type { ServerEvent } from '../plugins/realtime/index.js'
import type { Change } from './index.js'
import { toSockets, type RoomSockets } from './sockets.js'
import { wakeWebhooks, type WebhookWaker } from './webhooks.js'

export interface Subscriber {
  name: string
  run: <E extends ServerEvent>(change: Change<E>) => void
}

export type SubscriberPorts = RoomSockets & { webhooks: WebhookWaker }

/**
 * Every subscriber of a committed change, in the order they run:
 * 1. sockets.ts: live delivery to the users' rooms or the channel's room (any node).
 * 2. webhooks.ts: a `message:new` wakes the bot webhook worker.
 *
 * Not subscribers, because nothing is left to do after the commit:
 * - Web Push: the send statement writes the push_outbox row in the same statement as the
 *   message (messages/send-statement.ts), and the jobs relay (src/plugins/jobs.ts) moves it
 *   to the push queue on its own poll.
 * - Metrics: src/modules/metrics counts sends at the dispatcher (`relay_message_send_latency_seconds`,
 *   `relay_socket_events_total`) and has no counter of delivered changes.
 * - Search reads the messages table; nothing is handed to it.
 */
export function subscribersOf (ports: SubscriberPorts): Subscriber[] {
  return [
    { name: 'sockets', run: (change) => { toSockets(ports.realtime, change) } },
    { name: 'webhooks', run: (change) => { wakeWebhooks(ports.webhooks, change) } }
  ]
}
