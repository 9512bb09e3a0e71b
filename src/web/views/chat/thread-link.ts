import type { Message } from '@relay-im/client'
import { h } from '../../dom.js'
import { t } from '../../i18n/index.js'

/** Whether a message shows in the chat's timeline: not a thread-only reply (docs/protocol.md, "Threads"). */
export const inTimeline = (m: Message): boolean => m.threadRootId === undefined || m.alsoInChat === true

/** Under a message that may root a thread: "Reply in thread" or "N replies", with my unread badge. */
export function threadLink (m: Message, open: (root: Message) => void): HTMLElement | null {
  if (m.threadRootId !== undefined) return null
  const count = m.thread?.replyCount ?? 0
  return h('button', {
    type: 'button',
    class: `link small thread-link ${count > 0 ? 'has-replies' : ''}`,
    testid: 'thread-link',
    'data-root-id': m.id,
    'data-count': count,
    onclick: () => { open(m) }
  }, h('span', { class: 'thread-count' }, count > 0 ? t('thread.replies', { count }) : t('thread.reply')),
  h('span', { class: 'badge thread-unread', testid: 'thread-unread', hidden: true }))
}

/** Redraws a shown root's reply count (a `thread:updated`), without the rest of its row. */
export function showReplyCount (scope: HTMLElement, rootId: string, count: number): void {
  const link = scope.querySelector<HTMLElement>(`[data-testid="thread-link"][data-root-id="${CSS.escape(rootId)}"]`)
  if (link === null || Number(link.dataset.count) >= count) return
  link.dataset.count = String(count)
  link.classList.add('has-replies')
  const label = link.querySelector('.thread-count')
  if (label !== null) label.textContent = t('thread.replies', { count })
}

/** My unread replies of a shown root: a badge, hidden at 0. */
export function showThreadUnread (scope: HTMLElement, rootId: string, unread: number): void {
  const badge = scope.querySelector<HTMLElement>(`[data-testid="thread-link"][data-root-id="${CSS.escape(rootId)}"] .thread-unread`)
  if (badge === null) return
  badge.hidden = unread === 0
  badge.textContent = String(unread)
  badge.title = t('thread.unread', { count: unread })
}
