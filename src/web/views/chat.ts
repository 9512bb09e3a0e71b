import { uuid, type Conversation, type FileContent, type Message, type MessageContent, type MessageType, type SendableMessageType } from '@relay-im/client'
import { clock, formatBytes, h, replace } from '../dom.js'
import type { Store } from '../store.js'
import { linkFile, uploadFile } from '../uploads.js'
import { avatar } from './sidebar.js'
import { isSystem } from '../store.js'
import { groupPanel } from './group-panel.js'
import { systemRow } from './system.js'
import { forwardDialog, forwardedLabel, mentionsMe, messageMenu, previewOf, replyQuote, reactionChips } from './message-parts.js'

const PAGE = 30
/** Within this many pixels of an edge counts as "at" it. */
const EDGE_PX = 80
const TICKS = { pending: '…', failed: '!', sent: '✓', delivered: '✓✓', read: '✓✓' } as const

/** An inline SVG icon (emoji fonts are not everywhere). */
function paperclip (): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg'
  const svg = document.createElementNS(ns, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('class', 'icon')
  svg.setAttribute('aria-hidden', 'true')
  const path = document.createElementNS(ns, 'path')
  path.setAttribute('d', 'M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9')
  svg.append(path)
  return svg
}

export interface ChatView { el: HTMLElement, destroy: () => void }

/**
 * One conversation: history with scroll-back, live messages, ticks on own messages,
 * typing, sending text and files, recall; v2: edit, reply, mentions, reactions, forward,
 * pins and delete for me, with every change applied from `message:updated`.
 */
export function chatView (store: Store, conversationId: string, onBack: () => void, focusSeq?: number): ChatView {
  const { client, me } = store
  const rows = new Map<number, { m: Message, el: HTMLElement }>()
  const pending = new Map<string, HTMLElement>()
  let hasMore = true
  let loading = false
  let atBottom = true

  const title = h('span', { class: 'chat-title', testid: 'chat-title' })
  const subtitle = h('span', { class: 'chat-sub', testid: 'chat-subtitle' })
  const headAvatar = h('span')
  const top = h('div', { class: 'history-top', testid: 'history-top' }, 'Loading…')
  const list = h('div', { class: 'msg-list' })
  const scroller = h('div', { class: 'messages', testid: 'messages' }, top, list)
  const typing = h('div', { class: 'typing', testid: 'typing-indicator', 'aria-live': 'polite' })
  const input = h('textarea', { testid: 'composer-input', rows: 1, placeholder: 'Message', 'aria-label': 'Message', maxlength: 4000 })
  const fileInput = h('input', { type: 'file', testid: 'file-input', hidden: true, multiple: true })
  const toast = h('div', { class: 'toast', role: 'alert', hidden: true })
  const pinnedBar = h('div', { class: 'pinned-bar', testid: 'pinned-bar', hidden: true })
  const composerBar = h('div', { class: 'composer-bar', hidden: true })
  const mentionPicker = h('div', { class: 'mention-picker', testid: 'mention-picker', hidden: true })
  /** The message the next send replies to, or the one being edited. */
  let replyingTo: Message | undefined
  let editing: Message | undefined
  /** Mentions picked in the composer: the inserted "@Name" -> user id. */
  const picked = new Map<string, string>()
  let pins: Message[] = []

  const conversation = (): Conversation | undefined => store.conversations.get(conversationId)

  function renderHeader (): void {
    const c = conversation()
    if (c === undefined) return
    const peer = store.peerId(c)
    replace(headAvatar, avatar(store.title(c), peer === undefined ? undefined : store.online(peer)))
    title.textContent = store.title(c)
    if (peer === undefined) {
      const n = c.memberCount ?? c.members.length
      subtitle.textContent = `${n} ${n === 1 ? 'member' : 'members'}${c.topic !== null && c.topic !== undefined && c.topic !== '' ? ` · ${c.topic}` : ''}${store.muted(c) ? ' · muted' : ''}`
    } else {
      const p = store.presence.get(peer)
      subtitle.textContent = p?.hidden === true ? '' : p?.online === true ? 'online' : (p?.lastSeenAt != null ? `last seen ${clock(p.lastSeenAt)}` : 'offline')
      subtitle.dataset.presence = p?.hidden === true ? 'hidden' : p?.online === true ? 'online' : 'offline'
    }
  }

  function showError (message: string): void {
    toast.textContent = message
    toast.hidden = false
    setTimeout(() => { toast.hidden = true }, 4000)
  }

  // ---------------------------------------------------------------- messages

  function content (type: MessageType, body: MessageContent, recalled: boolean): HTMLElement {
    if (recalled || body === null) return h('div', { class: 'bubble recalled', testid: 'message-recalled' }, 'Message recalled')
    if (type === 'text') return h('div', { class: 'bubble', testid: 'message-text' }, String(body))
    if (type === 'image' || type === 'file') {
      const f = body as FileContent
      if (type === 'image') {
        const img = h('img', { alt: f.name, testid: 'message-image', loading: 'lazy', width: f.width, height: f.height })
        img.addEventListener('load', () => { if (atBottom) scrollToBottom() })
        const link = h('a', { target: '_blank', rel: 'noopener' }, img)
        linkFile(client, f.url, [[img, 'src'], [link, 'href']])
        return h('div', { class: 'bubble media' }, link)
      }
      const link = h('a', { download: f.name, testid: 'message-file' }, paperclip(), ` ${f.name}`)
      linkFile(client, f.url, [[link, 'href']])
      return h('div', { class: 'bubble file' },
        link,
        h('span', { class: 'muted small' }, ` ${formatBytes(f.size)}`))
    }
    return h('div', { class: 'bubble' }, h('code', {}, JSON.stringify(body)))
  }

  function ticks (m: Message): HTMLElement {
    const state = store.tickState(conversationId, m.seq)
    return h('span', { class: `ticks ${state}`, testid: 'ticks', 'data-state': state, title: state }, TICKS[state])
  }

  function nameOf (userId: string): string {
    if (userId === me.id) return 'You'
    return conversation()?.members.find((u) => u.id === userId)?.displayName ?? store.nameOf(userId)
  }

  /** In groups only the owner and admins pin; in direct conversations both members. */
  function canPin (): boolean {
    const c = conversation()
    if (c === undefined) return false
    if (c.type === 'direct') return true
    const role = c.members.find((u) => u.id === me.id)?.role
    return role === 'owner' || role === 'admin'
  }

  function row (m: Message): HTMLElement {
    // v2: membership and profile changes are centred notices, with no actions.
    if (isSystem(m)) return systemRow(m, nameOf)
    const mine = m.senderId === me.id
    const recalled = m.recalled === true || m.content === null
    const c = conversation()
    const pinned = m.pinnedAt !== null && m.pinnedAt !== undefined
    const menu = recalled
      ? null
      : messageMenu(m, {
        reply: () => { startReply(m) },
        react: (emoji) => { void act(client.react(m.id, emoji), 'react') },
        edit: mine && (m.type === 'text' || m.type === 'custom') ? () => { startEdit(m) } : undefined,
        forward: () => { openForward(m) },
        pin: canPin() ? () => { void act(pinned ? client.unpin(m.id) : client.pin(m.id), pinned ? 'unpin' : 'pin') } : undefined,
        deleteForMe: () => { void act(client.deleteForMe(conversationId, m.id), 'delete') }
      })
    return h('div', {
      class: `msg ${mine ? 'mine' : ''} ${mentionsMe(m, me.id) ? 'mentions-me' : ''}`,
      testid: 'message',
      'data-seq': m.seq,
      'data-rev': m.rev,
      'data-message-id': m.id,
      'data-client-msg-id': m.clientMsgId,
      'data-mine': String(mine),
      'data-mentions-me': String(mentionsMe(m, me.id)),
      'data-pinned': String(pinned)
    },
    !mine && c?.type === 'group' ? h('span', { class: 'sender' }, m.sender.displayName) : null,
    forwardedLabel(m),
    replyQuote(m, nameOf, (seq) => { rows.get(seq)?.el.scrollIntoView({ block: 'center' }) }),
    h('div', { class: 'bubble-line' }, mine ? menu : null, content(m.type, m.content, recalled), mine ? null : menu),
    recalled ? null : reactionChips(m.reactions ?? [], me.id, (emoji, reacted) => { void act(reacted ? client.unreact(m.id, emoji) : client.react(m.id, emoji), 'react') }),
    h('div', { class: 'meta' },
      pinned ? h('span', { class: 'pin-mark', testid: 'pin-mark' }, 'pinned') : null,
      m.editedAt !== null && m.editedAt !== undefined && !recalled ? h('span', { class: 'edited', testid: 'edited-mark', title: `Edited ${clock(m.editedAt)}` }, 'edited') : null,
      h('time', { datetime: m.createdAt }, clock(m.createdAt)),
      mine ? ticks(m) : null,
      mine && !recalled ? h('button', { class: 'link small', testid: 'recall', title: 'Recall this message', onclick: () => { void recall(m) } }, 'Recall') : null))
  }

  /** Runs an action; its result arrives as message:updated (or hidden), so only errors matter here. */
  async function act (p: Promise<unknown>, what: string): Promise<void> {
    try {
      await p
    } catch (err) {
      showError(`Could not ${what}: ${(err as Error).message}`)
    }
  }

  /** Replaces a shown message with a newer state of it (never an older one). */
  /** Replies quoting `quoted` show its current text (the server serves quotes that way too). */
  function refreshQuotes (quoted: Message): void {
    const recalled = quoted.recalled === true || quoted.content === null
    for (const [seq, r] of rows) {
      const q = r.m.replyTo
      if (q === null || q === undefined || q.id !== quoted.id) continue
      const preview = recalled ? '' : [...previewOf(quoted)].slice(0, 100).join('')
      if (q.preview === preview && q.recalled === recalled) continue
      const m = { ...r.m, replyTo: { ...q, preview, recalled } }
      const el = row(m)
      r.el.replaceWith(el)
      rows.set(seq, { m, el })
    }
  }

  function update (m: Message): void {
    refreshQuotes(m)
    const r = rows.get(m.seq)
    if (r === undefined || r.m.id !== m.id || (r.m.rev ?? 0) > m.rev) return
    const el = row(m)
    r.el.replaceWith(el)
    rows.set(m.seq, { m, el })
    if (editing?.id === m.id && (m.recalled === true || m.content === null)) stopComposing()
    if (pins.some((p) => p.id === m.id) !== (m.pinnedAt !== null && m.pinnedAt !== undefined)) void loadPins()
  }

  function removeRow (seq: number): void {
    rows.get(seq)?.el.remove()
    rows.delete(seq)
  }

  // ---------------------------------------------------------------- composing: reply, edit, mentions

  function startReply (m: Message): void {
    editing = undefined
    replyingTo = m
    replace(composerBar,
      h('div', { class: 'bar-text', testid: 'reply-preview' }, h('strong', {}, `Replying to ${nameOf(m.senderId)}`), h('span', {}, previewOf(m))),
      h('button', { type: 'button', class: 'link', testid: 'reply-cancel', 'aria-label': 'Cancel reply', onclick: stopComposing }, '✕'))
    composerBar.hidden = false
    input.focus()
  }

  function startEdit (m: Message): void {
    replyingTo = undefined
    editing = m
    replace(composerBar,
      h('div', { class: 'bar-text', testid: 'edit-banner' }, h('strong', {}, 'Editing'), h('span', {}, previewOf(m))),
      h('button', { type: 'button', class: 'link', testid: 'edit-cancel', 'aria-label': 'Cancel edit', onclick: () => { stopComposing(); input.value = '' } }, '✕'))
    composerBar.hidden = false
    input.value = m.type === 'text' ? String(m.content) : JSON.stringify(m.content)
    autosize()
    input.focus()
  }

  function stopComposing (): void {
    replyingTo = undefined
    editing = undefined
    composerBar.hidden = true
    composerBar.replaceChildren()
  }

  /** My newest text message still shown and not recalled (the Up key edits it). */
  function lastOwnText (): Message | undefined {
    let best: Message | undefined
    for (const { m } of rows.values()) {
      if (m.senderId === me.id && m.type === 'text' && m.content !== null && m.recalled !== true && (best === undefined || m.seq > best.seq)) best = m
    }
    return best
  }

  /** In groups, "@" followed by a name prefix at the caret opens the member picker. */
  function renderMentionPicker (): void {
    const c = conversation()
    const match = /(^|\s)@([^\s@]*)$/.exec(input.value.slice(0, input.selectionStart ?? input.value.length))
    if (c?.type !== 'group' || match === null) {
      mentionPicker.hidden = true
      return
    }
    const q = match[2]!.toLowerCase()
    const role = c.members.find((u) => u.id === me.id)?.role
    const options = c.members.filter((u) => u.id !== me.id && (u.displayName.toLowerCase().startsWith(q) || u.username.toLowerCase().startsWith(q)))
      .map((u) => ({ id: u.id, label: u.displayName }))
    if ((role === 'owner' || role === 'admin') && 'all'.startsWith(q)) options.push({ id: 'all', label: 'all' })
    replace(mentionPicker, ...options.slice(0, 8).map((o) => h('button', {
      type: 'button',
      class: 'menu-item',
      testid: 'mention-option',
      'data-user-id': o.id,
      onmousedown: (e: MouseEvent) => { e.preventDefault() },
      onclick: () => { pickMention(match[2]!.length, o.label, o.id) }
    }, `@${o.label}`)))
    mentionPicker.hidden = options.length === 0
  }

  function pickMention (typed: number, label: string, id: string): void {
    const caret = input.selectionStart ?? input.value.length
    const start = caret - typed - 1
    input.value = `${input.value.slice(0, start)}@${label} ${input.value.slice(caret)}`
    const at = start + label.length + 2
    input.setSelectionRange(at, at)
    picked.set(`@${label}`, id)
    mentionPicker.hidden = true
    input.focus()
  }

  /** The picked mentions still present in the text. */
  function mentionsIn (text: string): string[] | undefined {
    const ids = [...picked].filter(([label]) => text.includes(label)).map(([, id]) => id)
    picked.clear()
    if (ids.includes('all')) return ['all']
    return ids.length === 0 ? undefined : [...new Set(ids)]
  }

  // ---------------------------------------------------------------- forward and pins

  function openForward (m: Message): void {
    const targets = store.sortedConversations().filter((c) => c.id !== conversationId)
    const dialog = forwardDialog(targets, (c) => store.title(c), (c) => {
      dialog.remove()
      client.send({ conversationId: c.id, forwardOf: m.id }).then(
        () => { showError(`Forwarded to ${store.title(c)}`) },
        (err: Error) => { showError(`Could not forward: ${err.message}`) })
    }, () => { dialog.remove() })
    el.append(dialog)
  }

  async function loadPins (): Promise<void> {
    try {
      pins = await client.pins(conversationId)
    } catch {
      return
    }
    renderPins()
  }

  function renderPins (): void {
    const latest = pins[0]
    pinnedBar.hidden = latest === undefined
    if (latest === undefined) return
    replace(pinnedBar,
      h('span', { class: 'pin-icon' }, 'Pinned'),
      h('button', { type: 'button', class: 'link pinned-text', testid: 'pinned-latest', 'data-message-id': latest.id, onclick: () => { rows.get(latest.seq)?.el.scrollIntoView({ block: 'center' }) } },
        `${nameOf(latest.senderId)}: ${previewOf(latest)}`),
      h('span', { class: 'muted small', testid: 'pinned-count' }, pins.length === 1 ? '1 pinned' : `${pins.length} pinned`))
  }

  function pendingRow (clientMsgId: string, type: MessageType, body: MessageContent, label?: string): HTMLElement {
    const el = h('div', { class: 'msg mine pending', testid: 'message-pending', 'data-client-msg-id': clientMsgId, 'data-mine': 'true' },
      label !== undefined ? h('div', { class: 'bubble' }, label) : content(type, body, false),
      h('div', { class: 'meta' }, h('span', { class: 'ticks', testid: 'ticks', 'data-state': 'pending' }, TICKS.pending)))
    pending.set(clientMsgId, el)
    list.append(el)
    scrollToBottom()
    return el
  }

  function failed (clientMsgId: string, message: string): void {
    const el = pending.get(clientMsgId)
    if (el === undefined) return
    el.classList.add('failed')
    const t = el.querySelector('.ticks')
    if (t !== null) {
      t.textContent = TICKS.failed
      t.setAttribute('data-state', 'failed')
      t.setAttribute('title', message)
    }
    showError(message)
  }

  /** Puts a message in seq order (replacing its pending bubble); false when already shown. */
  function insert (m: Message): boolean {
    if (m.conversationId !== conversationId || rows.has(m.seq)) return false
    const el = row(m)
    rows.set(m.seq, { m, el })
    pending.get(m.clientMsgId)?.remove()
    pending.delete(m.clientMsgId)
    let next: HTMLElement | undefined
    for (const [seq, r] of rows) if (seq > m.seq && (next === undefined || seq < Number(next.dataset.seq))) next = r.el
    list.insertBefore(el, next ?? list.querySelector('.pending'))
    return true
  }

  function scrollToBottom (): void {
    scroller.scrollTop = scroller.scrollHeight
    atBottom = true
  }

  function oldestSeq (): number | undefined {
    let min: number | undefined
    for (const seq of rows.keys()) if (min === undefined || seq < min) min = seq
    return min
  }

  function newestSeq (): number {
    let max = 0
    for (const seq of rows.keys()) max = Math.max(max, seq)
    return max
  }

  /** Loads the page before the oldest shown message, keeping the view where it was. */
  async function loadOlder (): Promise<void> {
    if (loading || !hasMore) return
    loading = true
    top.textContent = 'Loading…'
    try {
      const before = oldestSeq()
      const page = await client.history(conversationId, before === undefined ? { limit: PAGE } : { before, limit: PAGE })
      const fromBottom = scroller.scrollHeight - scroller.scrollTop
      for (const m of page.messages) insert(m)
      hasMore = page.hasMore
      scroller.scrollTop = scroller.scrollHeight - fromBottom
    } catch (err) {
      showError((err as Error).message)
    } finally {
      loading = false
      top.textContent = hasMore ? '' : 'Beginning of the conversation'
    }
  }

  /** Fetches what came after the newest shown message (after a reconnect). */
  async function loadNewer (): Promise<void> {
    for (let more = true; more;) {
      const page = await client.history(conversationId, { after: newestSeq(), limit: 100 })
      for (const m of page.messages) insert(m)
      more = page.hasMore && page.messages.length > 0
    }
    if (atBottom) scrollToBottom()
    store.markReadIfVisible(conversationId)
  }

  async function recall (m: Message): Promise<void> {
    try {
      await client.recall(m.id)
    } catch (err) {
      showError(`Could not recall: ${(err as Error).message}`)
    }
  }

  function onRecalled (messageId: string, seq: number): void {
    const r = rows.get(seq)
    if (r === undefined || r.m.id !== messageId) return
    const m = { ...r.m, content: null, recalled: true }
    const el = row(m)
    r.el.replaceWith(el)
    rows.set(seq, { m, el })
  }

  function refreshTicks (): void {
    for (const { m, el } of rows.values()) {
      if (m.senderId !== me.id) continue
      el.querySelector('.ticks')?.replaceWith(ticks(m))
    }
  }

  function renderTyping (): void {
    const names = store.typingIn(conversationId)
    typing.textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`
    typing.classList.toggle('on', names.length > 0)
  }

  // ---------------------------------------------------------------- sending

  function send (type: SendableMessageType, body: MessageContent, clientMsgId = uuid(), extras: { replyTo?: string, mentions?: string[] } = {}): void {
    if (!pending.has(clientMsgId)) pendingRow(clientMsgId, type, body)
    client.send({ conversationId, type, content: body, clientMsgId, ...extras }).catch((err: Error) => { failed(clientMsgId, err.message) })
  }

  function sendText (): void {
    const text = input.value.trim()
    if (text === '') return
    input.value = ''
    autosize()
    mentionPicker.hidden = true
    if (editing !== undefined) {
      const target = editing
      stopComposing()
      void act(client.edit(target.id, target.type === 'text' ? text : JSON.parse(text) as MessageContent), 'edit')
      return
    }
    const replyTo = replyingTo?.id
    stopComposing()
    const mentions = mentionsIn(text)
    send('text', text, uuid(), { ...(replyTo !== undefined ? { replyTo } : {}), ...(mentions !== undefined ? { mentions } : {}) })
  }

  async function sendFiles (files: FileList): Promise<void> {
    for (const file of Array.from(files)) {
      const clientMsgId = uuid()
      pendingRow(clientMsgId, 'text', null, `Uploading ${file.name}…`)
      try {
        const { type, content: body } = await uploadFile(client, file)
        send(type, body, clientMsgId)
      } catch (err) {
        failed(clientMsgId, `${file.name}: ${(err as Error).message}`)
      }
    }
  }

  function autosize (): void {
    input.style.height = 'auto'
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`
  }

  input.addEventListener('input', () => {
    autosize()
    renderMentionPicker()
    if (input.value !== '') client.typing(conversationId)
  })
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowUp' && input.value === '' && editing === undefined) {
      const last = lastOwnText()
      if (last !== undefined) {
        e.preventDefault()
        startEdit(last)
      }
      return
    }
    if (e.key === 'Escape' && (editing !== undefined || replyingTo !== undefined)) {
      if (editing !== undefined) input.value = ''
      stopComposing()
      return
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault()
      sendText()
    }
  })
  fileInput.addEventListener('change', () => {
    if (fileInput.files !== null && fileInput.files.length > 0) void sendFiles(fileInput.files)
    fileInput.value = ''
  })
  scroller.addEventListener('scroll', () => {
    atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < EDGE_PX
    if (scroller.scrollTop < EDGE_PX) void loadOlder()
  })

  const unsubscribe = store.subscribe((e) => {
    switch (e.type) {
      case 'message':
        if (e.message.conversationId !== conversationId) return
        if (insert(e.message) && (atBottom || e.message.senderId === me.id)) scrollToBottom()
        return
      case 'recalled':
        if (e.event.conversationId === conversationId) onRecalled(e.event.messageId, e.event.seq)
        return
      case 'updated':
        if (e.message.conversationId === conversationId) update(e.message)
        return
      case 'hidden':
        if (e.conversationId === conversationId) {
          for (const [seq, r] of rows) if (r.m.id === e.messageId) removeRow(seq)
          if (pins.some((p) => p.id === e.messageId)) void loadPins()
        }
        return
      case 'cleared':
        if (e.conversationId === conversationId) {
          for (const seq of [...rows.keys()]) if (seq <= e.clearedSeq) removeRow(seq)
          void loadPins()
        }
        return
      case 'receipts':
        if (e.conversationId === conversationId) refreshTicks()
        return
      case 'typing':
        if (e.conversationId === conversationId) renderTyping()
        return
      case 'contacts':
      case 'conversations':
        renderHeader()
        return
      case 'names':
        for (const r of rows.values()) if (isSystem(r.m)) { const fresh = row(r.m); r.el.replaceWith(fresh); r.el = fresh }
        return
      case 'resynced':
        void loadNewer().catch(() => {})
        void loadPins()
    }
  })

  const el = h('section', { class: 'chat', testid: 'chat', 'data-conversation-id': conversationId },
    h('header', { class: 'chat-head' },
      h('button', { class: 'back', testid: 'back', 'aria-label': 'Back to conversations', onclick: onBack }, '‹'),
      headAvatar,
      h('span', { class: 'chat-names' }, title, subtitle),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'small', testid: 'chat-info', 'aria-label': 'Conversation settings', onclick: togglePanel }, 'Settings')),
    pinnedBar,
    scroller,
    typing,
    toast,
    mentionPicker,
    composerBar,
    h('form', { class: 'composer', testid: 'composer', onsubmit: (e: SubmitEvent) => { e.preventDefault(); sendText(); input.focus() } },
      h('button', { type: 'button', class: 'attach', testid: 'attach', title: 'Send a photo or file', 'aria-label': 'Attach', onclick: () => { fileInput.click() } }, paperclip()),
      fileInput,
      input,
      h('button', { type: 'submit', class: 'primary', testid: 'send' }, 'Send')))

  /** The settings panel (group profile, members, invites, my settings), over the chat. */
  let panel: ReturnType<typeof groupPanel> | undefined
  function togglePanel (): void {
    if (panel !== undefined) { closePanel(); return }
    panel = groupPanel(store, conversationId, closePanel)
    el.append(panel.el)
  }
  function closePanel (): void {
    panel?.destroy()
    panel?.el.remove()
    panel = undefined
  }

  renderHeader()
  renderTyping()
  void loadPins()
  const closeMenus = (): void => { el.querySelectorAll<HTMLElement>('.menu-pop').forEach((pop) => { pop.hidden = true }) }
  document.addEventListener('click', closeMenus)
  // First page, then more until the list can scroll (scroll-back needs a scrollbar).
  void (async () => {
    await loadOlder()
    scrollToBottom()
    while (hasMore && scroller.scrollHeight <= scroller.clientHeight && el.isConnected) await loadOlder()
    scrollToBottom()
    store.markReadIfVisible(conversationId)
    if (focusSeq !== undefined) await reveal(focusSeq)
  })()

  /** A search result: loads back to the message, scrolls it into view and marks it. */
  async function reveal (seq: number): Promise<void> {
    while (hasMore && !rows.has(seq) && (oldestSeq() ?? 0) > seq && el.isConnected) await loadOlder()
    const target = rows.get(seq)?.el
    if (target === undefined) { showError('That message is no longer here'); return }
    target.classList.add('found')
    target.dataset.found = 'true'
    target.scrollIntoView({ block: 'center' })
  }

  return { el, destroy: () => { unsubscribe(); closePanel(); document.removeEventListener('click', closeMenus) } }
}
