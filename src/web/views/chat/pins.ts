import type { Message } from '@relay-im/client'
import { t } from '../../i18n/index.js'
import { h, replace } from '../../dom.js'
import { previewOf } from '../kinds.js'
import type { ChatContext } from './context.js'

export interface PinnedBar {
  el: HTMLElement
  /** Fetches the pins again and redraws the bar. */
  load: () => Promise<void>
  /** Reloads when a message's pinned state no longer matches the bar. */
  onUpdated: (m: Message) => void
  /** Reloads when the removed message was pinned. */
  onHidden: (messageId: string) => void
}

/** The bar above the messages: the latest pin (a click scrolls to it) and how many there are. */
export function pinnedBar (ctx: ChatContext, scrollTo: (seq: number) => void): PinnedBar {
  const el = h('div', { class: 'pinned-bar', testid: 'pinned-bar', hidden: true })
  let pins: Message[] = []
  function render (): void {
    const latest = pins[0]
    el.hidden = latest === undefined
    if (latest === undefined) return
    replace(el,
      h('span', { class: 'pin-icon' }, t('pins.label')),
      h('button', { type: 'button', class: 'link pinned-text', testid: 'pinned-latest', 'data-message-id': latest.id, onclick: () => { scrollTo(latest.seq) } },
        `${ctx.nameOf(latest.senderId)}: ${previewOf(latest, ctx.nameOf)}`),
      h('span', { class: 'muted small', testid: 'pinned-count' }, pins.length === 1 ? '1 pinned' : `${pins.length} pinned`))
  }
  async function load (): Promise<void> {
    try {
      pins = await ctx.client.pins(ctx.conversationId)
    } catch {
      return
    }
    render()
  }
  return {
    el,
    load,
    onUpdated: (m) => {
      if (pins.some((p) => p.id === m.id) !== (m.pinnedAt !== null && m.pinnedAt !== undefined)) void load()
    },
    onHidden: (messageId) => { if (pins.some((p) => p.id === messageId)) void load() }
  }
}
