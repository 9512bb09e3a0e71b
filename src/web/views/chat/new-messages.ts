import { h } from '../../dom.js'
import { t } from '../../i18n/index.js'
import type { MessageList } from './message-list.js'

export interface NewMessagesButton { el: HTMLElement, /** A message of someone else arrived below the view. */ arrived: () => void }

/** "3 new messages ↓" at the bottom of the list while it is scrolled up; a click goes down. */
export function newMessagesButton (list: MessageList): NewMessagesButton {
  let count = 0
  const el = h('button', { type: 'button', class: 'new-messages primary small', testid: 'new-messages', hidden: true, onclick: () => { list.scrollToBottom(); reset() } })
  function reset (): void {
    count = 0
    el.hidden = true
  }
  list.el.addEventListener('scroll', () => { if (list.atBottom()) reset() })
  return {
    el,
    arrived: () => {
      count++
      el.dataset.count = String(count)
      el.textContent = t('chat.newMessages', { count })
      el.hidden = false
    }
  }
}
