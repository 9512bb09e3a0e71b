import type { Message, SystemContent } from '@relay-im/client'
import { h } from '../dom.js'

/** The event's name without separators or case: "member_added", "member.added" and "memberAdded" alike. */
function key (event: string): string {
  return event.toLowerCase().replace(/[^a-z]/g, '')
}

/** A list of names: "Ann", "Ann and Bob", "Ann, Bob and Cy". */
function names (list: string[]): string {
  if (list.length <= 1) return list[0] ?? 'someone'
  return `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]!}`
}

/**
 * The sentence of a system message (type "system"), built from `content.event` and the names
 * of the people it involves; `nameOf` gives "You" for the reader.
 */
export function systemText (content: SystemContent, nameOf: (userId: string) => string): string {
  const actor = nameOf(content.actorId)
  // "You" starts a sentence; elsewhere it is "you" (Alice made you an admin).
  const users = names((content.userIds ?? []).map(nameOf).map((n) => n === 'You' ? 'you' : n))
  switch (key(content.event)) {
    case 'memberadded': return `${actor} added ${users}`
    case 'memberremoved': return `${actor} removed ${users}`
    case 'memberleft': return `${content.userIds?.length === 1 ? nameOf(content.userIds[0]!) : actor} left`
    case 'memberjoined': return `${content.userIds?.length === 1 ? nameOf(content.userIds[0]!) : actor} joined`
    case 'rolechanged':
      if (content.role === 'admin') return `${actor} made ${users} an admin`
      if (content.role === 'member') return `${actor} removed ${users} as admin`
      return `${actor} changed the role of ${users}`
    case 'ownertransferred': return `${actor} made ${users} the owner`
    case 'renamed': return `${actor} renamed the group to "${content.name ?? ''}"`
    case 'topicchanged': return content.topic === null || content.topic === undefined || content.topic === '' ? `${actor} removed the topic` : `${actor} changed the topic to "${content.topic}"`
    case 'avatarchanged': return `${actor} changed the group photo`
    case 'messagepinned': return `${actor} pinned a message`
    case 'messageunpinned': return `${actor} unpinned a message`
    case 'created': case 'groupcreated': case 'channelcreated': return `${actor} created the ${content.name !== undefined ? `group "${content.name}"` : 'group'}`
    default: return `${actor} updated the group`
  }
}

/** The content of a system message, read defensively (a recalled or odd one has none). */
export function systemContent (m: Message): SystemContent {
  const c = m.content
  if (c !== null && typeof c === 'object' && typeof (c as { event?: unknown }).event === 'string') return c as unknown as SystemContent
  return { event: 'unknown' as SystemContent['event'], actorId: m.senderId }
}

/** Ids the sentence needs names for. */
export function systemUserIds (content: SystemContent): string[] {
  return [content.actorId, ...(content.userIds ?? [])]
}

/** A centred notice in the timeline. */
export function systemRow (m: Message, nameOf: (userId: string) => string): HTMLElement {
  const content = systemContent(m)
  return h('div', {
    class: 'msg system',
    testid: 'system-message',
    role: 'note',
    'data-seq': m.seq,
    'data-rev': m.rev,
    'data-message-id': m.id,
    'data-event': content.event
  }, h('span', { class: 'system-text', testid: 'system-text' }, systemText(content, nameOf)))
}
