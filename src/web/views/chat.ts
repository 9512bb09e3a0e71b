import { uuid, type Conversation, type FileContent, type Message, type MessageContent, type MessageType } from '@relay-im/client'
import { clock, formatBytes, h, replace } from '../dom.js'
import type { Store } from '../store.js'
import { fileHref, uploadFile } from '../uploads.js'
import { avatar } from './sidebar.js'

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
 * typing, sending text and files, recall.
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

  const conversation = (): Conversation | undefined => store.conversations.get(conversationId)

  function renderHeader (): void {
    const c = conversation()
    if (c === undefined) return
    const peer = store.peerId(c)
    replace(headAvatar, avatar(store.title(c), peer === undefined ? undefined : store.online(peer)))
    title.textContent = store.title(c)
    if (peer === undefined) {
      subtitle.textContent = `${c.members.length} members`
    } else {
      const p = store.presence.get(peer)
      subtitle.textContent = p?.online === true ? 'online' : (p?.lastSeenAt != null ? `last seen ${clock(p.lastSeenAt)}` : 'offline')
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
      const href = fileHref(client, f.url)
      if (type === 'image') {
        const img = h('img', { src: href, alt: f.name, testid: 'message-image', loading: 'lazy', width: f.width, height: f.height })
        img.addEventListener('load', () => { if (atBottom) scrollToBottom() })
        return h('div', { class: 'bubble media' }, h('a', { href, target: '_blank', rel: 'noopener' }, img))
      }
      return h('div', { class: 'bubble file' },
        h('a', { href, download: f.name, testid: 'message-file' }, paperclip(), ` ${f.name}`),
        h('span', { class: 'muted small' }, ` ${formatBytes(f.size)}`))
    }
    return h('div', { class: 'bubble' }, h('code', {}, JSON.stringify(body)))
  }

  function ticks (m: Message): HTMLElement {
    const state = store.tickState(conversationId, m.seq)
    return h('span', { class: `ticks ${state}`, testid: 'ticks', 'data-state': state, title: state }, TICKS[state])
  }

  function row (m: Message): HTMLElement {
    const mine = m.senderId === me.id
    const recalled = m.recalled === true || m.content === null
    const c = conversation()
    return h('div', {
      class: `msg ${mine ? 'mine' : ''}`,
      testid: 'message',
      'data-seq': m.seq,
      'data-message-id': m.id,
      'data-client-msg-id': m.clientMsgId,
      'data-mine': String(mine)
    },
    !mine && c?.type === 'group' ? h('span', { class: 'sender' }, m.sender.displayName) : null,
    content(m.type, m.content, recalled),
    h('div', { class: 'meta' },
      h('time', { datetime: m.createdAt }, clock(m.createdAt)),
      mine ? ticks(m) : null,
      mine && !recalled ? h('button', { class: 'link small', testid: 'recall', title: 'Recall this message', onclick: () => { void recall(m) } }, 'Recall') : null))
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

  function send (type: MessageType, body: MessageContent, clientMsgId = uuid()): void {
    if (!pending.has(clientMsgId)) pendingRow(clientMsgId, type, body)
    client.send({ conversationId, type, content: body, clientMsgId }).catch((err: Error) => { failed(clientMsgId, err.message) })
  }

  function sendText (): void {
    const text = input.value.trim()
    if (text === '') return
    input.value = ''
    autosize()
    send('text', text)
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
    if (input.value !== '') client.typing(conversationId)
  })
  input.addEventListener('keydown', (e) => {
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
      case 'resynced':
        void loadNewer().catch(() => {})
    }
  })

  const el = h('section', { class: 'chat', testid: 'chat', 'data-conversation-id': conversationId },
    h('header', { class: 'chat-head' },
      h('button', { class: 'back', testid: 'back', 'aria-label': 'Back to conversations', onclick: onBack }, '‹'),
      headAvatar,
      h('span', { class: 'chat-names' }, title, subtitle)),
    scroller,
    typing,
    toast,
    h('form', { class: 'composer', testid: 'composer', onsubmit: (e: SubmitEvent) => { e.preventDefault(); sendText(); input.focus() } },
      h('button', { type: 'button', class: 'attach', testid: 'attach', title: 'Send a photo or file', 'aria-label': 'Attach', onclick: () => { fileInput.click() } }, paperclip()),
      fileInput,
      input,
      h('button', { type: 'submit', class: 'primary', testid: 'send' }, 'Send')))

  renderHeader()
  renderTyping()
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

  return { el, destroy: unsubscribe }
}
