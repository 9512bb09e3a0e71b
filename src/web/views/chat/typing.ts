import { h } from '../../dom.js'
import type { ChatContext } from './context.js'

/** The "Ann is typing…" line under the messages. */
export function typingLine (ctx: ChatContext): { el: HTMLElement, render: () => void } {
  const el = h('div', { class: 'typing', testid: 'typing-indicator', 'aria-live': 'polite' })
  function render (): void {
    const names = ctx.store.typingIn(ctx.conversationId)
    el.textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`
    el.classList.toggle('on', names.length > 0)
  }
  return { el, render }
}
