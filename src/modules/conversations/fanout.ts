import type { ServerEvent, ServerPayload } from '../../plugins/realtime.js'
import type { ConversationsDeps } from './deps.js'

export type ConversationType = 'direct' | 'group' | 'channel'

/**
 * Live delivery of a conversation's shared event: a channel's goes to its room in one emit
 * (its members' sockets joined it; the member list is not needed and usually not read), any
 * other conversation's to each member's user room.
 */
export function toMembers<E extends ServerEvent> (deps: Pick<ConversationsDeps, 'publish' | 'channels'>,
  conversation: { id: string, type: string }, memberIds: readonly string[] | null, event: E, payload: ServerPayload<E>): void {
  if (conversation.type === 'channel') deps.channels.publish(conversation.id, event, payload)
  else if (memberIds !== null && memberIds.length > 0) deps.publish(memberIds, event, payload)
}
