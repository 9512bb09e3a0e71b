import type { Message, MessageContent, MessageType } from '@relay-im/client'
import { h } from '../../dom.js'
import { t } from '../../i18n/index.js'
import { dayKey, dayLabel } from '../../i18n/dates.js'
import { isRecalled, kindOf } from '../kinds.js'
import type { ChatContext } from './context.js'
import { messageRow, ticks, type RowActions } from './message-row.js'
import { pendingRows, type PendingRows } from './pending-rows.js'
import { quoteText } from './quote.js'

/** Within this many pixels of an edge counts as "at" it. */
export const EDGE_PX = 80
/** Messages of one sender this close together show the name once. */
const RUN_MS = 5 * 60_000

export interface MessageList {
  /** The scrolling element: the history top line and the rows. */
  el: HTMLElement
  /** The "Loading…" / "Beginning of the conversation" line above the rows. */
  top: HTMLElement
  /** Puts a message in seq order (replacing its pending bubble); false when already shown. */
  insert: (m: Message) => boolean
  /** Replaces a shown message with a newer state of it (never an older one); false when not shown. */
  update: (m: Message) => boolean
  recall: (messageId: string, seq: number) => void
  removeMessage: (messageId: string) => void
  clearUpTo: (seq: number) => void
  refreshTicks: () => void
  /** Draws the notices again (names of people they mention arrived). */
  refreshNotices: () => void
  addPending: (clientMsgId: string, type: MessageType, body: MessageContent, label?: string) => void
  hasPending: (clientMsgId: string) => boolean
  failed: (clientMsgId: string, message: string) => void
  has: (seq: number) => boolean
  find: (seq: number) => HTMLElement | undefined
  scrollTo: (seq: number) => void
  scrollToBottom: () => void
  atBottom: () => boolean
  oldestSeq: () => number | undefined
  newestSeq: () => number
  /** My newest text message still shown and not recalled (the Up key edits it). */
  lastOwnText: () => Message | undefined
}

type Rows = Omit<MessageList, 'el' | 'top' | 'addPending' | 'hasPending' | 'failed' | 'scrollTo' | 'scrollToBottom' | 'atBottom'>

/** The shown messages by seq, kept in seq order in `list` (before any pending sends). */
function rowsIn (ctx: ChatContext, list: HTMLElement, actions: RowActions, pending: PendingRows, unreadAfter: number | undefined): Rows {
  const rows = new Map<number, { m: Message, el: HTMLElement }>()
  function put (seq: number, m: Message): void {
    const fresh = messageRow(ctx, m, actions)
    rows.get(seq)?.el.replaceWith(fresh)
    rows.set(seq, { m, el: fresh })
    markDays()
  }
  /** Replies quoting `quoted` show its current text. */
  function refreshQuotes (quoted: Message): void {
    const recalled = isRecalled(quoted)
    const preview = quoteText(quoted)
    for (const [seq, r] of rows) {
      const q = r.m.replyTo
      if (q === null || q === undefined || q.id !== quoted.id || (q.preview === preview && q.recalled === recalled)) continue
      put(seq, { ...r.m, replyTo: { ...q, preview, recalled } })
    }
  }
  function insert (m: Message): boolean {
    if (m.conversationId !== ctx.conversationId || rows.has(m.seq)) return false
    const row = messageRow(ctx, m, actions)
    rows.set(m.seq, { m, el: row })
    pending.settle(m.clientMsgId)
    let next: HTMLElement | undefined
    for (const [seq, r] of rows) if (seq > m.seq && (next === undefined || seq < Number(next.dataset.seq))) next = r.el
    list.insertBefore(row, next ?? list.querySelector('.pending'))
    markDays()
    return true
  }
  function update (m: Message): boolean {
    refreshQuotes(m)
    const r = rows.get(m.seq)
    if (r === undefined || r.m.id !== m.id || (r.m.rev ?? 0) > m.rev) return false
    put(m.seq, m)
    return true
  }
  function removeSeq (seq: number): void {
    rows.get(seq)?.el.remove()
    rows.delete(seq)
    markDays()
  }
  /**
   * A separator before the first message of each day ("Today", "Yesterday", a date), and the
   * "Unread messages" line before the first message of someone else after `unreadAfter`.
   */
  function markDays (): void {
    list.querySelectorAll(':scope > .day-sep, :scope > .unread-line').forEach((el) => { el.remove() })
    let last: number | undefined
    let unreadShown = false
    let previous: Message | undefined
    for (const { m, el } of [...rows.values()].sort((a, b) => a.m.seq - b.m.seq)) {
      // A run of messages from one person names them once (same day, a few minutes apart).
      const continued = previous !== undefined && previous.senderId === m.senderId && kindOf(previous).notice !== true &&
        Date.parse(m.createdAt) - Date.parse(previous.createdAt) < RUN_MS && dayKey(previous.createdAt) === dayKey(m.createdAt)
      el.dataset.continued = String(continued)
      previous = m
      const day = dayKey(m.createdAt)
      if (day !== last) list.insertBefore(h('div', { class: 'day-sep', testid: 'day-separator', role: 'separator', 'data-day': day }, h('span', {}, dayLabel(m.createdAt))), el)
      last = day
      if (!unreadShown && unreadAfter !== undefined && m.seq > unreadAfter && m.senderId !== ctx.me.id && kindOf(m).notice !== true) {
        list.insertBefore(h('div', { class: 'unread-line', testid: 'unread-line', role: 'separator' }, t('chat.unreadLine')), el)
        unreadShown = true
      }
    }
  }
  return {
    insert,
    update,
    recall: (messageId, seq) => {
      const r = rows.get(seq)
      if (r !== undefined && r.m.id === messageId) put(seq, { ...r.m, content: null, recalled: true })
    },
    removeMessage: (messageId) => { for (const [seq, r] of rows) if (r.m.id === messageId) removeSeq(seq) },
    clearUpTo: (cleared) => { for (const seq of [...rows.keys()]) if (seq <= cleared) removeSeq(seq) },
    refreshTicks: () => {
      for (const { m, el } of rows.values()) if (m.senderId === ctx.me.id) el.querySelector('.ticks')?.replaceWith(ticks(ctx, m))
    },
    refreshNotices: () => { for (const [seq, r] of rows) if (kindOf(r.m).notice === true) put(seq, r.m) },
    has: (seq) => rows.has(seq),
    find: (seq) => rows.get(seq)?.el,
    oldestSeq: () => rows.size === 0 ? undefined : Math.min(...rows.keys()),
    newestSeq: () => Math.max(0, ...rows.keys()),
    lastOwnText: () => lastOwnText(ctx, rows.values())
  }
}

/** The rows of one conversation in a scrolling box, with my not yet acknowledged sends at the end. */
export function messageList (ctx: ChatContext, actions: RowActions, unreadAfter?: number): MessageList {
  let atBottom = true
  const top = h('div', { class: 'history-top', testid: 'history-top', 'data-state': 'loading' }, t('chat.loading'))
  const list = h('div', { class: 'msg-list' })
  const el = h('div', { class: 'messages', testid: 'messages' }, top, list)
  el.addEventListener('scroll', () => { atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < EDGE_PX })
  function scrollToBottom (): void {
    el.scrollTop = el.scrollHeight
    atBottom = true
  }
  const pending = pendingRows(ctx, list, scrollToBottom)
  const rows = rowsIn(ctx, list, actions, pending, unreadAfter)
  // My sends from an earlier visit that are still on their way.
  for (const [clientMsgId, u] of ctx.store.unsent.get(ctx.conversationId) ?? []) {
    pending.add(clientMsgId, u.type, u.body, u.label)
    if (u.failed !== undefined) pending.failed(clientMsgId, u.failed, false)
  }
  return {
    el,
    top,
    ...rows,
    addPending: pending.add,
    hasPending: pending.has,
    failed: pending.failed,
    scrollTo: (seq) => { rows.find(seq)?.scrollIntoView({ block: 'center' }) },
    scrollToBottom,
    atBottom: () => atBottom
  }
}

function lastOwnText (ctx: ChatContext, rows: Iterable<{ m: Message }>): Message | undefined {
  let best: Message | undefined
  for (const { m } of rows) {
    if (m.senderId === ctx.me.id && m.type === 'text' && !isRecalled(m) && (best === undefined || m.seq > best.seq)) best = m
  }
  return best
}
