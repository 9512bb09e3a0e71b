import { h } from '../../dom.js'
import type { ChatContext } from './context.js'
import { t } from '../../i18n/index.js'

/** The "Ann is typing…" line under the messages. */
export function typingLine (ctx: ChatContext): { el: HTMLElement, render: () => void } {
  const el = h('div', { class: 'typing', testid: 'typing-indicator', 'aria-live': 'polite' })
  function render (): void {
    const names = ctx.store.typingIn(ctx.conversationId)
    el.textContent = names.length === 0 ? '' : t(names.length === 1 ? 'typing.one' : 'typing.many', { names: new Intl.ListFormat(document.documentElement.lang).format(names) })
    el.classList.toggle('on', names.length > 0)
  }
  return { el, render }
}
