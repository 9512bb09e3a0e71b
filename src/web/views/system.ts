import type { Message, SystemContent } from '@relay-im/client'
import { h } from '../dom.js'
import { lang, t } from '../i18n/index.js'

/** The event's name without separators or case: "member_added", "member.added" and "memberAdded" alike. */
function key (event: string): string {
  return event.toLowerCase().replace(/[^a-z]/g, '')
}

/** A list of names in the page's language: "Ann, Bob and Cy" / "Ann、Bob和Cy". */
function names (list: string[]): string {
  if (list.length === 0) return t('name.someoneInline')
  return new Intl.ListFormat(lang(), { type: 'conjunction' }).format(list)
}

/**
 * The sentence of a system message (type "system"), built from `content.event` and the names
 * of the people it involves; `nameOf` gives "You" for the reader.
 */
export function systemText (content: SystemContent, nameOf: (userId: string) => string): string {
  const actor = nameOf(content.actorId)
  // "You" starts a sentence; elsewhere it is "you" (Alice made you an admin).
  const users = names((content.userIds ?? []).map(nameOf).map((n) => n === t('name.you') ? t('name.youInline') : n))
  const one = content.userIds?.length === 1 ? nameOf(content.userIds[0]!) : actor
  switch (key(content.event)) {
    case 'memberadded': return t('sys.added', { actor, users })
    case 'memberremoved': return t('sys.removed', { actor, users })
    case 'memberleft': return t('sys.left', { who: one })
    case 'memberjoined': return t('sys.joined', { who: one })
    case 'rolechanged':
      if (content.role === 'admin') return t('sys.madeAdmin', { actor, users })
      if (content.role === 'member') return t('sys.removedAdmin', { actor, users })
      return t('sys.roleChanged', { actor, users })
    case 'ownertransferred': return t('sys.owner', { actor, users })
    case 'renamed': return t('sys.renamed', { actor, name: content.name ?? '' })
    case 'topicchanged': return content.topic === null || content.topic === undefined || content.topic === '' ? t('sys.topicRemoved', { actor }) : t('sys.topicChanged', { actor, topic: content.topic })
    case 'avatarchanged': return t('sys.avatar', { actor })
    case 'messagepinned': return t('sys.pinned', { actor })
    case 'appnotice': return content.text ?? ''
    case 'retentionchanged': return typeof content.days === 'number' ? t('sys.retention', { actor, count: content.days }) : t('sys.retentionDefault', { actor })
    case 'messageunpinned': return t('sys.unpinned', { actor })
    case 'created': case 'groupcreated': case 'channelcreated': return content.name !== undefined ? t('sys.createdNamed', { actor, name: content.name }) : t('sys.created', { actor })
    default: return t('sys.updated', { actor })
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
