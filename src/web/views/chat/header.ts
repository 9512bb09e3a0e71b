import { h, replace } from '../../dom.js'
import { dateTimeOf } from '../../i18n/dates.js'
import { t } from '../../i18n/index.js'
import { avatar } from '../sidebar.js'
import type { ChatContext } from './context.js'

export interface ChatHeader { el: HTMLElement, render: () => void }

function groupSubtitle (ctx: ChatContext): string {
  const c = ctx.conversation()!
  const n = c.memberCount ?? c.members.length
  const topic = c.topic !== null && c.topic !== undefined && c.topic !== '' ? ` · ${c.topic}` : ''
  return `${t('chat.members', { count: n })}${topic}${ctx.store.muted(c) ? ` · ${t('chat.mutedSuffix')}` : ''}`
}

/** The title bar: back, avatar, name with members or the peer's presence, the thread list, and Settings. */
export function chatHeader (ctx: ChatContext, onBack: () => void, onSettings: () => void, onThreads: () => void): ChatHeader {
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
    subtitle.textContent = p?.hidden === true ? '' : p?.online === true ? t('presence.online') : (p?.lastSeenAt != null ? t('presence.lastSeen', { when: dateTimeOf(p.lastSeenAt) }) : t('presence.offline'))
    subtitle.dataset.presence = p?.hidden === true ? 'hidden' : p?.online === true ? 'online' : 'offline'
  }
  const el = h('header', { class: 'chat-head' },
    h('button', { class: 'back', testid: 'back', 'aria-label': t('chat.back'), onclick: onBack }, '‹'),
    headAvatar,
    h('span', { class: 'chat-names' }, title, subtitle),
    h('span', { class: 'spacer' }),
    h('button', { type: 'button', class: 'small', testid: 'chat-threads', title: t('thread.list'), 'aria-label': t('thread.list'), onclick: onThreads }, '🧵'),
    h('button', { type: 'button', class: 'small', testid: 'chat-info', 'aria-label': t('chat.settingsLabel'), onclick: onSettings }, t('chat.settings')))
  return { el, render }
}
