import { channelRoom, type Realtime, type ServerEvent } from '../plugins/realtime/index.js'
import type { Change } from './index.js'

export interface RoomSockets { realtime: Pick<Realtime, 'toUsers' | 'toRoom' | 'joinRoom' | 'leaveRoom'> }

/** Live delivery: one emit to the channel's room, or to each user's room (every device, any node). */
export function toSockets<E extends ServerEvent> (realtime: RoomSockets['realtime'], { event, payload, audience }: Change<E>): void {
  if ('channel' in audience) realtime.toRoom(channelRoom(audience.channel), event, payload, audience.except)
  else if (audience.users.length > 0) realtime.toUsers(audience.users, event, payload)
}

export function joinChannel (realtime: RoomSockets['realtime'], userIds: readonly string[], channelId: string): void {
  realtime.joinRoom(userIds, channelRoom(channelId))
}

export function leaveChannel (realtime: RoomSockets['realtime'], userIds: readonly string[], channelId: string): void {
  realtime.leaveRoom(userIds, channelRoom(channelId))
}
