import type { ServerEvent, ServerPayload } from '../../plugins/realtime/index.js'
import type { ConversationsDeps } from './deps.js'

export type ConversationType = 'direct' | 'group' | 'channel'

/**
 * Live delivery of a conversation's shared event: a channel's goes to its room in one emit
 * (its members' sockets joined it; the member list is not needed and usually not read), less
 * the users in `blindIds`; any other conversation's to each user of `memberIds`. For an event
 * about one message both lists come from the visibility rule (visibility.ts: `audienceOf`,
 * `blindTo`), so a member who deleted or cleared the message is not told of its changes.
 */
export function toMembers<E extends ServerEvent> (deps: Pick<ConversationsDeps, 'publish' | 'channels'>,
  conversation: { id: string, type: string }, memberIds: readonly string[] | null, event: E, payload: ServerPayload<E>, blindIds: readonly string[] = []): void {
  if (conversation.type === 'channel') deps.channels.publish(conversation.id, event, payload, blindIds)
  else if (memberIds !== null && memberIds.length > 0) deps.publish(memberIds, event, payload)
}
