import type { Conversation, FriendRequest, Message, User } from '@relay-im/client'
import { mutedIcon, pinIcon } from './icons.js'
import { h, initials, replace } from '../dom.js'
import type { Store } from '../store.js'
import { channelBrowser } from './channels.js'
import { applyMute, MUTE_CHOICES, muteState, NOTIFY_CHOICES } from './group-panel.js'
import { kindOf, previewOf } from './kinds.js'
import { messageSearch } from './message-search.js'
import { menuButton, placeMenu } from './menu-position.js'
import { errorText, t } from '../i18n/index.js'

export interface SidebarActions {
  open: (conversationId: string) => void
  /** Opens the conversation scrolled to the message with this seq, highlighted. */
  openAt: (conversationId: string, seq: number) => void
}

function preview (store: Store, m: Message | null): string {
  if (m === null) return t('side.noMessages')
  const text = previewOf(m, (id) => store.nameOf(id))
  return m.senderId === store.me.id && kindOf(m).notice !== true ? t('side.youPrefix', { text }) : text
}

export function avatar (name: string, online?: boolean): HTMLElement {
  return h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name),
    online === undefined ? null : h('span', { class: `dot ${online ? 'online' : ''}`, testid: 'presence-dot', 'data-online': String(online), title: online ? t('presence.online') : t('presence.offline') }))
}

/** The way to the archive, with its count, its unread messages and whether I was mentioned there. */
function archivedToggle (store: Store, open: () => void): HTMLElement {
  const archived = store.sortedConversations(true)
  const unread = archived.reduce((n, c) => n + (c.unread ?? 0), 0)
  const mentions = archived.reduce((n, c) => n + (c.unreadMentions ?? 0), 0)
  return h('button', { class: 'small archived-toggle', testid: 'archived-toggle', onclick: open },
    t('side.archivedCount', { count: archived.length }),
    mentions > 0 ? h('span', { class: 'badge mention', testid: 'archived-mentions', title: t('side.mentioned') }, '@') : null,
    unread > 0 ? h('span', { class: 'badge quiet', testid: 'archived-unread', title: t('side.archivedUnread', { count: unread }) }, unread > 99 ? '99+' : unread) : null)
}

/** Left column: conversations, contacts (search, requests, friends) and new group. */
export function sidebar (store: Store, actions: SidebarActions): HTMLElement {
  let tab: 'chats' | 'contacts' = 'chats'
  /** Whether the list shows the archived conversations instead of the others. */
  let showArchived = false
  /** The conversation whose settings menu is open: it stays open across re-renders. */
  let menuFor: string | undefined
  document.addEventListener('click', () => {
    if (menuFor === undefined) return
    menuFor = undefined
    body.querySelectorAll<HTMLElement>('[data-testid="conv-menu-pop"]').forEach((pop) => { pop.hidden = true })
  })
  let results: User[] = []
  let searchSeq = 0
  const body = h('div', { class: 'side-body' })
  /** The contacts tab below its search box, which stays put (and focused) while this re-renders. */
  const contacts = h('div')
  /** The chats tab below its message search, which likewise stays put. */
  const chats = h('div')
  const messages = messageSearch(store, actions.openAt)
  const chatsTab = h('button', { class: 'tab', testid: 'tab-chats', onclick: () => { tab = 'chats'; render() } }, t('side.chats'))
  const contactsTab = h('button', { class: 'tab', testid: 'tab-contacts', onclick: () => { tab = 'contacts'; render() } }, t('side.contacts'))
  const search = h('input', {
    type: 'search',
    testid: 'user-search',
    placeholder: t('side.findPeople'),
    'aria-label': t('side.findPeopleLabel'),
    oninput: () => { void runSearch() }
  })
  const requestsBadge = h('span', { class: 'badge', testid: 'requests-badge', hidden: true })
  contactsTab.append(requestsBadge)

  async function runSearch (): Promise<void> {
    const q = search.value.trim()
    const mine = ++searchSeq
    const found = q === '' ? [] : await store.client.searchUsers(q, 10).catch(() => [])
    if (mine !== searchSeq) return
    results = found.filter((u) => u.id !== store.me.id)
    render()
  }

  async function act (fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn()
    } catch (err) {
      alert(errorText(err))
    }
    await store.loadContacts().catch(() => {})
  }

  /** My settings of a conversation, from its "⋯" menu: pin, archive, mute, notify. */
  function settingsMenu (c: Conversation): HTMLElement {
    const s = c.settings
    const run = (fn: () => Promise<unknown>): void => { pop.hidden = true; menuFor = undefined; fn().catch((err: unknown) => { alert(errorText(err)) }) }
    const item = (testid: string, label: string, fn: () => Promise<unknown>, current = false): HTMLElement =>
      h('button', { type: 'button', class: `menu-item ${current ? 'current' : ''}`, testid, 'aria-pressed': current ? 'true' : null, onclick: (e: MouseEvent) => { e.stopPropagation(); run(fn) } }, label)
    const muted = store.muted(c)
    const pop = h('div', { class: 'menu-pop', testid: 'conv-menu-pop', hidden: menuFor !== c.id },
      item('conv-pin', s?.pinned === true ? t('side.unpin') : t('side.pin'), () => store.updateSettings(c.id, { pinned: s?.pinned !== true })),
      item('conv-archive', s?.archived === true ? t('side.unarchive') : t('side.archive'), () => store.updateSettings(c.id, { archived: s?.archived !== true })),
      h('div', { class: 'menu-label' }, muted ? muteState(store, c) : t('side.mute')),
      ...MUTE_CHOICES.filter((m) => m.value !== 'off' || muted).map((m) => item(`conv-mute-${m.value}`, m.value === 'off' ? t('side.unmute') : m.label, () => applyMute(store, c.id, m.value))),
      h('div', { class: 'menu-label' }, t('side.notifyAbout')),
      ...NOTIFY_CHOICES.map((n) => item(`conv-notify-${n.value}`, n.label, () => store.updateSettings(c.id, { notify: n.value }), (s?.notify ?? 'all') === n.value)))
    const button = menuButton(pop, { class: 'menu-btn conv-menu-btn', testid: 'conv-menu', label: t('side.chatSettings') }, (open) => { menuFor = open ? c.id : undefined })
    // Still open after a re-render: placed again once the new button is on the page.
    if (menuFor === c.id) requestAnimationFrame(() => { if (button.isConnected) placeMenu(button, pop) })
    return h('span', { class: 'menu', onclick: (e: MouseEvent) => { e.stopPropagation() } }, button, pop)
  }

  function conversationItem (c: Conversation): HTMLElement {
    const peer = store.peerId(c)
    const unread = c.unread ?? 0
    const pinned = c.settings?.pinned === true
    const muted = store.muted(c)
    return h('li', {
      class: `conv ${store.activeId === c.id ? 'active' : ''} ${muted ? 'muted-conv' : ''}`,
      testid: 'conversation',
      'data-conversation-id': c.id,
      'data-title': store.title(c),
      'data-type': c.type,
      'data-pinned': String(pinned),
      'data-archived': String(c.settings?.archived === true),
      'data-muted': String(muted),
      'data-notify': c.settings?.notify ?? 'all',
      tabindex: 0,
      onclick: () => { actions.open(c.id) },
      onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') actions.open(c.id) }
    },
    avatar(store.title(c), peer === undefined ? undefined : store.online(peer)),
    h('span', { class: 'conv-text' },
      h('span', { class: 'conv-title' }, store.title(c), c.type !== 'direct' ? h('span', { class: 'tag' }, c.type === 'group' ? t('type.group') : t('type.channel')) : null),
      h('span', { class: 'conv-preview', testid: 'conversation-preview' }, preview(store, c.lastMessage))),
    pinned ? h('span', { class: 'conv-flag', testid: 'pinned-mark', title: t('side.pinned'), 'aria-label': t('side.pinned') }, pinIcon()) : null,
    muted ? h('span', { class: 'conv-flag', testid: 'muted-mark', title: muteState(store, c), 'aria-label': t('side.muted') }, mutedIcon()) : null,
    (c.unreadMentions ?? 0) > 0 ? h('span', { class: 'badge mention', testid: 'mention-badge', title: t('side.mentioned') }, '@') : null,
    unread > 0 ? h('span', { class: `badge ${muted ? 'quiet' : ''}`, testid: 'unread-badge' }, unread > 99 ? '99+' : unread) : null,
    settingsMenu(c))
  }

  function requestItem (r: FriendRequest, incoming: boolean): HTMLElement {
    const other = incoming ? r.from : r.to
    return h('li', { class: 'person', testid: incoming ? 'incoming-request' : 'outgoing-request', 'data-username': other.username },
      avatar(other.displayName),
      h('span', { class: 'conv-text' }, h('span', { class: 'conv-title' }, other.displayName), h('span', { class: 'conv-preview' }, `@${other.username}`)),
      incoming
        ? h('span', { class: 'actions' },
          h('button', { class: 'primary small', testid: 'accept-request', onclick: () => { void act(() => store.client.acceptFriendRequest(r.id)) } }, t('side.accept')),
          h('button', { class: 'small', testid: 'decline-request', onclick: () => { void act(() => store.client.declineFriendRequest(r.id)) } }, t('side.decline')))
        : h('button', { class: 'small', testid: 'cancel-request', onclick: () => { void act(() => store.client.cancelFriendRequest(r.id)) } }, t('side.cancel')))
  }

  function resultItem (u: User): HTMLElement {
    const friend = store.friends.some((f) => f.user.id === u.id)
    const pending = store.outgoing.some((r) => r.toUserId === u.id)
    const incoming = store.incoming.find((r) => r.fromUserId === u.id)
    let action: HTMLElement
    if (friend) action = h('span', { class: 'muted small' }, t('side.friend'))
    else if (pending) action = h('span', { class: 'muted small', testid: 'request-pending' }, t('side.requested'))
    else {
      action = h('button', {
        class: 'primary small',
        testid: 'add-friend',
        onclick: () => { void act(() => incoming !== undefined ? store.client.acceptFriendRequest(incoming.id) : store.client.sendFriendRequest(u.id)) }
      }, incoming !== undefined ? t('side.accept') : t('side.add'))
    }
    return h('li', { class: 'person', testid: 'search-result', 'data-username': u.username },
      avatar(u.displayName),
      h('span', { class: 'conv-text' }, h('span', { class: 'conv-title' }, u.displayName), h('span', { class: 'conv-preview' }, `@${u.username}`)),
      action)
  }

  function friendItem (f: (typeof store.friends)[number]): HTMLElement {
    return h('li', {
      class: 'person clickable',
      testid: 'friend',
      'data-username': f.user.username,
      tabindex: 0,
      onclick: async () => {
        const c = await store.client.directConversation(f.user.id)
        if (!store.conversations.has(c.id)) store.conversations.set(c.id, c)
        actions.open(c.id)
      }
    },
    avatar(f.user.displayName, store.online(f.user.id)),
    h('span', { class: 'conv-text' }, h('span', { class: 'conv-title' }, f.user.displayName),
      h('span', { class: 'conv-preview' }, store.online(f.user.id) ? t('presence.online') : `@${f.user.username}`)))
  }

  function render (): void {
    chatsTab.classList.toggle('active', tab === 'chats')
    contactsTab.classList.toggle('active', tab === 'contacts')
    requestsBadge.hidden = store.incoming.length === 0
    requestsBadge.textContent = String(store.incoming.length)
    if (tab === 'chats') {
      const archivedCount = store.archivedCount()
      if (archivedCount === 0) showArchived = false
      const list = store.sortedConversations(showArchived)
      if (!body.contains(messages)) replace(body, messages, chats)
      replace(chats,
        showArchived
          ? h('div', { class: 'side-actions' },
            h('button', { class: 'small', testid: 'archived-back', onclick: () => { showArchived = false; render() } }, t('side.backToChats')),
            h('strong', { class: 'archived-title', testid: 'archived-title' }, t('side.archived')))
          : h('div', { class: 'side-actions' },
            h('button', { class: 'small', testid: 'new-group', onclick: () => { document.body.append(groupDialog(store, actions)) } }, t('side.newGroup')),
            h('button', { class: 'small', testid: 'browse-channels', onclick: () => { document.body.append(channelBrowser(store, actions.open)) } }, t('side.channels')),
            archivedCount > 0 ? archivedToggle(store, () => { showArchived = true; render() }) : null),
        list.length === 0
          ? h('p', { class: 'empty' }, showArchived ? t('side.nothingArchived') : t('side.noConversations'))
          : h('ul', { class: 'list', testid: showArchived ? 'archived-list' : 'conversation-list' }, ...list.map(conversationItem)))
      return
    }
    if (!body.contains(search)) replace(body, h('div', { class: 'search' }, search), contacts)
    replace(contacts,
      results.length > 0 ? h('ul', { class: 'list', testid: 'search-results' }, ...results.map(resultItem)) : null,
      store.incoming.length > 0 ? h('h3', {}, t('side.requests')) : null,
      store.incoming.length > 0 ? h('ul', { class: 'list' }, ...store.incoming.map((r) => requestItem(r, true))) : null,
      store.outgoing.length > 0 ? h('h3', {}, t('side.sent')) : null,
      store.outgoing.length > 0 ? h('ul', { class: 'list' }, ...store.outgoing.map((r) => requestItem(r, false))) : null,
      h('h3', {}, t('side.friends', { count: store.friends.length })),
      store.friends.length === 0
        ? h('p', { class: 'empty' }, t('side.noFriends'))
        : h('ul', { class: 'list', testid: 'friend-list' }, ...store.friends.map(friendItem)))
  }

  store.subscribe((e) => {
    if ((e.type === 'conversations' || e.type === 'names') && tab === 'chats') render()
    else if (e.type === 'contacts') render()
  })
  render()
  return h('aside', { class: 'sidebar', testid: 'sidebar' }, h('nav', { class: 'tabs' }, chatsTab, contactsTab), body)
}

/** A modal to name a group and pick friends for it. */
function groupDialog (store: Store, actions: SidebarActions): HTMLElement {
  const name = h('input', { testid: 'group-name', placeholder: t('group.namePlaceholder'), maxlength: 64, required: true })
  const error = h('p', { class: 'error', role: 'alert' })
  const boxes = store.friends.map((f) => h('input', { type: 'checkbox', value: f.user.id, testid: 'group-member', 'data-username': f.user.username }))
  const close = (): void => { overlay.remove() }
  const overlay = h('div', { class: 'overlay', onclick: (e: MouseEvent) => { if (e.target === overlay) close() } },
    h('form', {
      class: 'dialog',
      testid: 'group-dialog',
      onsubmit: async (e: SubmitEvent) => {
        e.preventDefault()
        const memberIds = boxes.filter((b) => b.checked).map((b) => b.value)
        try {
          const c = await store.client.createGroup(name.value.trim(), memberIds)
          store.add({ ...c, unread: 0, readSeq: 0 })
          close()
          actions.open(c.id)
        } catch (err) {
          error.textContent = errorText(err)
        }
      }
    },
    h('h2', {}, t('group.new')),
    h('label', { class: 'field' }, t('group.name'), name),
    h('fieldset', {}, h('legend', {}, t('group.members')),
      boxes.length === 0 ? h('p', { class: 'empty' }, t('group.addFriendsFirst')) : null,
      ...boxes.map((b, i) => h('label', { class: 'check' }, b, store.friends[i]!.user.displayName))),
    error,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', onclick: close }, t('group.cancel')),
      h('button', { type: 'submit', class: 'primary', testid: 'group-create' }, t('group.create')))))
  queueMicrotask(() => { name.focus() })
  return overlay
}
