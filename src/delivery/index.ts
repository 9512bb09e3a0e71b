import type { FastifyBaseLogger } from 'fastify'
import type { ServerEvent, ServerPayload } from '../plugins/realtime/index.js'
import { joinChannel, leaveChannel, type RoomSockets } from './sockets.js'
import { subscribersOf, type SubscriberPorts } from './subscribers.js'

/** Who is told of a change: every device of each user, or a channel's room less the users in `except`. */
export type Audience = { users: readonly string[] } | { channel: string, except?: readonly string[] }

/** A committed change as its subscribers get it: the event, its payload and who is told. */
export interface Change<E extends ServerEvent = ServerEvent> {
  event: E
  payload: ServerPayload<E>
  audience: Audience
}

/**
 * The audience of a conversation's shared event: a channel's room (its members' sockets joined
 * it; the member list is not needed and usually not read) less `blindIds`, any other
 * conversation's members. For an event about one message both lists come from the visibility
 * rule (conversations/visibility.ts: `audienceOf`, `blindTo`), so a member who deleted or
 * cleared the message is not told of its changes.
 */
export function membersOf (conversation: { id: string, type: string }, memberIds: readonly string[] | null, blindIds: readonly string[] = []): Audience {
  return conversation.type === 'channel' ? { channel: conversation.id, except: blindIds } : { users: memberIds ?? [] }
}

export type DeliveryPorts = SubscriberPorts & RoomSockets & { log: Pick<FastifyBaseLogger, 'error'> }

/**
 * After a change commits, `deliver` hands it to each subscriber (subscribers.ts) in order. A
 * subscriber's failure is logged and affects neither the caller (its answer is already
 * decided) nor the subscribers after it.
 */
export function createDelivery (ports: DeliveryPorts) {
  const subscribers = subscribersOf(ports)

  function deliver<E extends ServerEvent> (change: Change<E>): void {
    for (const { name, run } of subscribers) {
      try {
        run(change)
      } catch (err) {
        ports.log.error({ err, subscriber: name, event: change.event }, 'a delivery subscriber failed')
      }
    }
  }

  return {
    deliver,
    /** Every socket of these users joins (or leaves) the channel's room, on any node. */
    joinChannel: (userIds: readonly string[], channelId: string): void => { joinChannel(ports.realtime, userIds, channelId) },
    leaveChannel: (userIds: readonly string[], channelId: string): void => { leaveChannel(ports.realtime, userIds, channelId) }
  }
}

export type Delivery = ReturnType<typeof createDelivery>
