import type { ConnectionStatus } from '@relay-im/client'
import { h, replace } from '../dom.js'
import type { Store } from '../store.js'
import { onOpenFromNotification } from '../push.js'
import { chatView, type ChatView } from './chat/index.js'
import { inviteCode, invitePage } from './invite.js'
import { notificationsToggle } from './notifications.js'
import { sidebar } from './sidebar.js'
import { presenceSetting } from './presence-setting.js'
import { twoFactorButton } from './two-factor.js'
import { t } from '../i18n/index.js'
import { languageSwitch } from './language-switch.js'

const STATUS_TEXT = {
  online: 'status.online',
  connecting: 'status.connecting',
  reconnecting: 'status.reconnecting',
  offline: 'status.offline'
} as const satisfies Record<ConnectionStatus, string>

/** The signed-in page: top bar with connection status, sidebar, and the open conversation. */
export function shell (store: Store, onLogout: () => void): HTMLElement {
  const pane = h('div', { class: 'pane' })
  const placeholder = h('div', { class: 'placeholder', testid: 'no-chat' }, h('p', {}, t('shell.pick')))
  const status = h('span', { class: 'status', testid: 'conn-status', role: 'status' })
  let current: ChatView | undefined

  const app = h('div', { class: 'app' })

  function renderStatus (): void {
    const s = store.status
    status.dataset.status = s
    status.textContent = s === 'offline' && !navigator.onLine ? t('status.noNetwork') : t(STATUS_TEXT[s])
  }

  function open (conversationId: string | undefined, focusSeq?: number): void {
    current?.destroy()
    current = undefined
    store.activeId = conversationId
    if (conversationId === undefined || !store.conversations.has(conversationId)) {
      store.activeId = undefined
      replace(pane, placeholder)
      app.classList.remove('chat-open')
      history.replaceState(null, '', location.pathname)
    } else {
      current = chatView(store, conversationId, () => { open(undefined) }, focusSeq)
      replace(pane, current.el)
      app.classList.add('chat-open')
      history.replaceState(null, '', `#c=${conversationId}`)
      current.el.querySelector<HTMLTextAreaElement>('textarea')?.focus()
    }
    store.emitConversations()
  }

  /** The tab's title counts unread messages of the conversations not muted: "(3) Relay". */
  function renderTitle (): void {
    let unread = 0
    for (const c of store.conversations.values()) if (!store.muted(c)) unread += c.unread ?? 0
    document.title = unread > 0 ? `(${unread > 999 ? '999+' : unread}) ${t('app.name')}` : t('app.name')
  }

  store.subscribe((e) => {
    if (e.type === 'status') renderStatus()
    if (e.type === 'conversations') renderTitle()
    // Left, removed, or the group is gone: close it.
    if (e.type === 'conversations' && store.activeId !== undefined && !store.conversations.has(store.activeId)) open(undefined)
  })
  renderStatus()
  renderTitle()
  // A notification was clicked while this page is open: show its conversation (loading the
  // list first when the conversation is new to this page).
  const stopListening = onOpenFromNotification((conversationId) => {
    if (!app.isConnected) {
      // Signed out: this shell is gone; the next sign-in opens the conversation (#c= link).
      stopListening()
      if (conversationId !== undefined && document.querySelector('[data-testid="sidebar"]') === null) history.replaceState(null, '', `#c=${conversationId}`)
      return
    }
    if (conversationId === undefined || store.conversations.has(conversationId)) open(conversationId)
    else void store.loadConversations().then(() => { open(conversationId) }, () => {})
  })

  app.append(
    h('header', { class: 'topbar' },
      h('span', { class: 'brand' }, t('app.name')),
      status,
      h('span', { class: 'spacer' }),
      notificationsToggle(store),
      presenceSetting(store),
      twoFactorButton(store.client),
      languageSwitch(),
      h('span', { class: 'me', testid: 'me', title: `@${store.me.username}` }, store.me.displayName),
      // Icon only on a phone, like two-factor (styles.css): the top bar stays one line at 375 px.
      h('button', { class: 'small logout', testid: 'logout', title: t('shell.signOut'), 'aria-label': t('shell.signOut'), onclick: onLogout },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, '⏻'), h('span', { class: 'label' }, t('shell.signOut')))),
    h('div', { class: 'columns' }, sidebar(store, { open, openAt: open }), pane))

  /** `#/invite/<code>`: the invite's join page over whatever is open. */
  function showInvite (code: string): void {
    document.querySelector('[data-testid="invite-page"]')?.parentElement?.remove()
    const page = invitePage(store, code, (id) => { open(id) }, () => {
      page.remove()
      if (inviteCode(location.hash) !== undefined) history.replaceState(null, '', store.activeId === undefined ? location.pathname : `#c=${store.activeId}`)
    })
    document.body.append(page)
  }
  window.addEventListener('hashchange', () => {
    const code = inviteCode(location.hash)
    if (code !== undefined) showInvite(code)
  })

  const invite = inviteCode(location.hash)
  const fromHash = /^#c=([0-9a-f-]{36})$/i.exec(location.hash)?.[1]
  open(fromHash)
  if (invite !== undefined) showInvite(invite)
  return app
}
