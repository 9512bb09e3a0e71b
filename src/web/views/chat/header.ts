import { clock, h, replace } from '../../dom.js'
import { avatar } from '../sidebar.js'
import type { ChatContext } from './context.js'

export interface ChatHeader { el: HTMLElement, render: () => void }

function groupSubtitle (ctx: ChatContext): string {
  const c = ctx.conversation()!
  const n = c.memberCount ?? c.members.length
  const topic = c.topic !== null && c.topic !== undefined && c.topic !== '' ? ` · ${c.topic}` : ''
  return `${n} ${n === 1 ? 'member' : 'members'}${topic}${ctx.store.muted(c) ? ' · muted' : ''}`
}

/** The title bar: back, avatar, name with members or the peer's presence, and Settings. */
export function chatHeader (ctx: ChatContext, onBack: () => void, onSettings: () => void): ChatHeader {
  const { store } = ctx
  const title = h('span', { class: 'chat-title', testid: 'chat-title' })
  const subtitle = h('span', { class: 'chat-sub', testid: 'chat-subtitle' })
  const headAvatar = h('span')
  function render (): void {
    const c = ctx.conversation()
    if (c === undefined) return
    const peer = store.peerId(c)
    replace(headAvatar, avatar(store.title(c), peer === undefined ? undefined : store.online(peer)))
    title.textContent = store.title(c)
    if (peer === undefined) {
      subtitle.textContent = groupSubtitle(ctx)
      return
    }
    const p = store.presence.get(peer)
    subtitle.textContent = p?.hidden === true ? '' : p?.online === true ? 'online' : (p?.lastSeenAt != null ? `last seen ${clock(p.lastSeenAt)}` : 'offline')
    subtitle.dataset.presence = p?.hidden === true ? 'hidden' : p?.online === true ? 'online' : 'offline'
  }
  const el = h('header', { class: 'chat-head' },
    h('button', { class: 'back', testid: 'back', 'aria-label': 'Back to conversations', onclick: onBack }, '‹'),
    headAvatar,
    h('span', { class: 'chat-names' }, title, subtitle),
    h('span', { class: 'spacer' }),
    h('button', { type: 'button', class: 'small', testid: 'chat-info', 'aria-label': 'Conversation settings', onclick: onSettings }, 'Settings'))
  return { el, render }
}
