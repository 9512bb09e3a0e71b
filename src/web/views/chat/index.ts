import type { Message } from '@relay-im/client'
import type { Store, StoreEvent } from '../../store.js'
import { h } from '../../dom.js'
import { groupPanel } from '../group-panel.js'
import { kindOf } from '../kinds.js'
import { composer } from './composer.js'
import { chatContext, type ChatContext } from './context.js'
import { openForward } from './forward.js'
import { chatHeader, type ChatHeader } from './header.js'
import { history, type History } from './history.js'
import { messageList, type MessageList } from './message-list.js'
import type { RowActions } from './message-row.js'
import { outbox, type Outbox } from './outbox.js'
import { t } from '../../i18n/index.js'
import { pinnedBar, type PinnedBar } from './pins.js'
import { scheduledList } from './scheduled.js'
import { typingLine } from './typing.js'
import { newMessagesButton, type NewMessagesButton } from './new-messages.js'
import { threadPanel, type ThreadPanel } from './thread-panel.js'
import { threadList } from './thread-list.js'
import { inTimeline, showReplyCount, showThreadUnread } from './thread-link.js'

export interface ChatView { el: HTMLElement, destroy: () => void }

/** The parts of the view a store event may touch. */
interface Parts {
  ctx: ChatContext
  header: ChatHeader
  list: MessageList
  pins: PinnedBar
  typing: { render: () => void }
  composer: { onUpdated: (m: Message) => void }
  history: History
  fresh: NewMessagesButton
  threads: Threads
}

function onMessage (parts: Parts, e: StoreEvent): void {
  const { ctx, list, pins } = parts
  const here = ctx.conversationId
  switch (e.type) {
    case 'message':
      if (e.message.conversationId !== here) return
      if (e.message.threadRootId !== undefined) parts.threads.onReply(e.message)
      if (!inTimeline(e.message) || !list.insert(e.message)) return
      if (list.atBottom() || e.message.senderId === ctx.me.id) list.scrollToBottom()
      else if (kindOf(e.message).notice !== true) parts.fresh.arrived()
      return
    case 'recalled':
      if (e.event.conversationId === here) list.recall(e.event.messageId, e.event.seq)
      return
    case 'updated':
      if (e.message.conversationId !== here) return
      if (list.update(e.message)) parts.composer.onUpdated(e.message)
      pins.onUpdated(e.message)
      parts.threads.panel()?.onUpdated(e.message)
      parts.threads.redraw(e.message.id)
      return
    case 'hidden':
      if (e.conversationId !== here) return
      list.removeMessage(e.messageId)
      pins.onHidden(e.messageId)
      parts.threads.panel()?.onHidden(e.messageId)
      return
    case 'cleared':
      if (e.conversationId !== here) return
      list.clearUpTo(e.clearedSeq)
      void pins.load()
  }
}

/** Routes the store's events to the parts they concern. */
function onStoreEvent (parts: Parts, e: StoreEvent): void {
  const here = parts.ctx.conversationId
  switch (e.type) {
    case 'receipts':
      if (e.conversationId === here) parts.list.refreshTicks()
      return
    case 'typing':
      if (e.conversationId === here) parts.typing.render()
      return
    case 'contacts':
    case 'conversations':
      parts.header.render()
      return
    case 'names':
      parts.list.refreshNotices()
      return
    case 'status':
      if (parts.ctx.store.status === 'online') parts.history.online()
      return
    case 'resynced':
      void parts.history.loadNewer().catch(() => {})
      void parts.pins.load()
      void parts.threads.refresh()
      void parts.threads.panel()?.reload()
      return
    case 'thread':
      if (e.conversationId === here) parts.threads.onChange(e.rootId, e.replyCount)
      return
    default:
      onMessage(parts, e)
  }
}

interface Threads {
  open: (root: Message) => void
  close: () => void
  panel: () => ThreadPanel | undefined
  /** A reply arrived (live or by sync): to the open thread, and the root's badge. */
  onReply: (m: Message) => void
  /** A thread changed (`thread:updated`, or my read position elsewhere): count and badge. */
  onChange: (rootId: string, replyCount?: number) => void
  /** Reply counts and my unread badges of the shown roots, read again. */
  refresh: () => Promise<void>
  /** A root's row was drawn again: its badge as last known. */
  redraw: (rootId: string) => void
}

/** The open thread (one at a time) and the roots' counts and badges in the timeline. */
function threadsOf (ctx: ChatContext, host: HTMLElement, rows: HTMLElement, actions: RowActions): Threads {
  let open: ThreadPanel | undefined
  const unread = new Map<string, number>()
  const show = (rootId: string, n: number): void => {
    unread.set(rootId, n)
    showThreadUnread(rows, rootId, n)
  }
  const badge = async (rootId: string): Promise<void> => {
    if (open?.rootId === rootId) { show(rootId, 0); return }
    const state = await ctx.client.thread(ctx.conversationId, rootId).catch(() => undefined)
    if (state !== undefined) show(rootId, open?.rootId === rootId ? 0 : state.unread)
  }
  const close = (): void => {
    open?.destroy()
    open = undefined
    host.classList.remove('thread-open')
  }
  return {
    open: (root) => {
      close()
      open = threadPanel(ctx, root, close, actions)
      host.classList.add('thread-open')
      host.append(open.el)
      show(root.id, 0)
    },
    close,
    panel: () => open,
    onReply: (m) => {
      open?.onMessage(m)
      if (m.threadRootId !== undefined && m.senderId !== ctx.me.id) void badge(m.threadRootId)
    },
    onChange: (rootId, replyCount) => {
      if (replyCount !== undefined) showReplyCount(rows, rootId, replyCount)
      void badge(rootId)
    },
    refresh: async () => {
      const page = await ctx.client.threads(ctx.conversationId, { limit: 100 }).catch(() => undefined)
      for (const th of page?.threads ?? []) {
        showReplyCount(rows, th.rootId, th.replyCount)
        show(th.rootId, open?.rootId === th.rootId ? 0 : th.unread)
      }
    },
    redraw: (rootId) => {
      const n = unread.get(rootId)
      if (n !== undefined) showThreadUnread(rows, rootId, n)
    }
  }
}

/** Files dragged onto the chat are sent, with a hint while they hover over it. */
function dropTarget (el: HTMLElement, sends: Outbox): void {
  const carriesFiles = (e: DragEvent): boolean => e.dataTransfer?.types.includes('Files') === true
  el.addEventListener('dragover', (e) => {
    if (!carriesFiles(e)) return
    e.preventDefault()
    el.classList.add('dropping')
    el.dataset.dropHint = t('composer.dropHere')
  })
  el.addEventListener('dragleave', (e) => { if (e.target === el || !el.contains(e.relatedTarget as Node | null)) el.classList.remove('dropping') })
  el.addEventListener('drop', (e) => {
    el.classList.remove('dropping')
    const files = Array.from(e.dataTransfer?.files ?? [])
    if (files.length === 0) return
    e.preventDefault()
    void sends.sendFiles(files)
  })
}

/** The settings panel (group profile, members, invites, my settings), over the chat. */
function settingsPanel (store: Store, conversationId: string, host: HTMLElement): { toggle: () => void, close: () => void } {
  let panel: ReturnType<typeof groupPanel> | undefined
  function close (): void {
    panel?.destroy()
    panel?.el.remove()
    panel = undefined
  }
  function toggle (): void {
    if (panel !== undefined) { close(); return }
    panel = groupPanel(store, conversationId, close)
    host.append(panel.el)
  }
  return { toggle, close }
}

/**
 * One conversation: its header, pinned bar, messages with scroll-back, typing line and
 * composer, each a component of its own; store events are routed to the ones they concern.
 */
export function chatView (store: Store, conversationId: string, onBack: () => void, focusSeq?: number): ChatView {
  const { ctx, toast } = chatContext(store, conversationId)
  // Where I had read to when the chat opened: the "Unread messages" line goes after it.
  const opened = store.conversations.get(conversationId)
  const unreadAfter = opened !== undefined && (opened.unread ?? 0) > 0 ? opened.readSeq ?? 0 : undefined
  const el = h('section', { class: 'chat', testid: 'chat', 'data-conversation-id': conversationId })
  const panel = settingsPanel(store, conversationId, el)
  const header = chatHeader(ctx, onBack, panel.toggle, () => { threads.close(); threadsList.toggle() })
  // The row actions reach the composer made just below: rows call them only on a click.
  const rowActions: RowActions = {
    openThread: (m) => { threadsList.close(); threads.open(m) },
    reply: (m) => { box.startReply(m) },
    edit: (m) => { box.startEdit(m) },
    forward: (m) => { openForward(ctx, el, m) },
    scrollTo: (seq) => { list.scrollTo(seq) },
    onMediaLoad: () => { if (list.atBottom()) list.scrollToBottom() }
  }
  const list: MessageList = messageList(ctx, rowActions, unreadAfter)
  const fresh = newMessagesButton(list)
  list.el.append(fresh.el)
  const sends = outbox(ctx, list)
  const box = composer(ctx, { outbox: sends, lastOwnText: list.lastOwnText })
  dropTarget(el, sends)
  const pins = pinnedBar(ctx, list.scrollTo)
  const typing = typingLine(ctx)
  const later = scheduledList(ctx)
  el.append(header.el, pins.el, list.el, typing.el, toast, later.el, ...box.parts)
  const pages = history(ctx, list, () => el.isConnected)
  const threads = threadsOf(ctx, el, list.el, rowActions)
  const threadsList = threadList(ctx, el, (item) => { threads.open(item.root) })
  const parts: Parts = { ctx, header, list, pins, typing, composer: box, history: pages, fresh, threads }
  const unsubscribe = store.subscribe((e) => { onStoreEvent(parts, e) })

  header.render()
  typing.render()
  void pins.load()
  void later.load()
  const closeMenus = (): void => { el.querySelectorAll<HTMLElement>('.menu-pop').forEach((pop) => { pop.hidden = true }) }
  document.addEventListener('click', closeMenus)
  // A message menu is placed against the window: it closes when its row scrolls away.
  list.el.addEventListener('scroll', closeMenus, { passive: true })
  void pages.start(focusSeq).then(() => threads.refresh())
  return { el, destroy: () => { unsubscribe(); later.destroy(); panel.close(); threads.close(); document.removeEventListener('click', closeMenus) } }
}
