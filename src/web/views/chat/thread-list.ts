import type { ThreadListItem } from '@relay-im/client'
import { h, replace } from '../../dom.js'
import { t } from '../../i18n/index.js'
import { previewOf } from '../kinds.js'
import type { ChatContext } from './context.js'

export interface ThreadList {
  el: HTMLElement
  /** Opens (reading the list again) or closes the list. */
  toggle: () => void
  close: () => void
}

/**
 * A conversation's threads (from the header's Threads button): latest activity first, each
 * root's preview, its reply count and my unread badge; a click opens the thread. A side
 * panel on a wide screen, the whole view on a narrow one (the thread panel's styles).
 */
export function threadList (ctx: ChatContext, host: HTMLElement, open: (item: ThreadListItem) => void): ThreadList {
  const items = h('div', { class: 'thread-list-items', testid: 'thread-list-items' })
  const el = h('section', { class: 'thread-panel thread-list', testid: 'thread-list' },
    h('div', { class: 'panel-head' }, h('h2', {}, t('thread.list')),
      h('button', { type: 'button', class: 'link', testid: 'thread-list-close', title: t('thread.close'), onclick: () => { close() } }, '×')),
    items)
  let shown = false
  function row (item: ThreadListItem): HTMLElement {
    return h('button', { type: 'button', class: 'menu-item thread-item', testid: 'thread-item', 'data-root-id': item.rootId, 'data-unread': item.unread, onclick: () => { close(); open(item) } },
      h('span', { class: 'sender' }, ctx.nameOf(item.root.senderId)), ' ',
      h('span', { class: 'thread-item-text' }, item.root.recalled ? t('chat.recalled') : previewOf(item.root, ctx.nameOf)), ' ',
      h('span', { class: 'muted small' }, t('thread.replies', { count: item.replyCount })),
      item.unread > 0 ? h('span', { class: 'thread-unread', testid: 'thread-item-unread', title: t('thread.unread', { count: item.unread }) }, String(item.unread)) : null)
  }
  async function load (): Promise<void> {
    try {
      const page = await ctx.client.threads(ctx.conversationId, { limit: 50 })
      replace(items, ...(page.threads.length === 0 ? [h('p', { class: 'muted small', testid: 'thread-list-empty' }, t('thread.listEmpty'))] : page.threads.map(row)))
    } catch (err) {
      ctx.showError(String((err as Error).message))
    }
  }
  function close (): void {
    shown = false
    el.remove()
    host.classList.remove('thread-open')
  }
  return {
    el,
    toggle: () => {
      if (shown) { close(); return }
      shown = true
      host.classList.add('thread-open')
      host.append(el)
      void load()
    },
    close
  }
}
