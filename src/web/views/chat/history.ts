import type { ChatContext } from './context.js'
import { EDGE_PX, type MessageList } from './message-list.js'

const PAGE = 30
/** A catch-up after a reconnect fetches this many at a time. */
const CATCH_UP_PAGE = 100

export interface History {
  /** The first pages: enough to scroll, then the view at the bottom (or at `focusSeq`). */
  start: (focusSeq?: number) => Promise<void>
  /** Fetches what came after the newest shown message (after a reconnect). */
  loadNewer: () => Promise<void>
}

/** Paging through a conversation: older pages on scrolling up, newer ones after a reconnect. */
export function history (ctx: ChatContext, list: MessageList, isOpen: () => boolean): History {
  let hasMore = true
  let loading = false

  /** Loads the page before the oldest shown message, keeping the view where it was. */
  async function loadOlder (): Promise<void> {
    if (loading || !hasMore) return
    loading = true
    list.top.textContent = 'Loading…'
    try {
      const before = list.oldestSeq()
      const page = await ctx.client.history(ctx.conversationId, before === undefined ? { limit: PAGE } : { before, limit: PAGE })
      const fromBottom = list.el.scrollHeight - list.el.scrollTop
      for (const m of page.messages) list.insert(m)
      hasMore = page.hasMore
      list.el.scrollTop = list.el.scrollHeight - fromBottom
    } catch (err) {
      ctx.showError((err as Error).message)
    } finally {
      loading = false
      list.top.textContent = hasMore ? '' : 'Beginning of the conversation'
    }
  }

  async function loadNewer (): Promise<void> {
    for (let more = true; more;) {
      const page = await ctx.client.history(ctx.conversationId, { after: list.newestSeq(), limit: CATCH_UP_PAGE })
      for (const m of page.messages) list.insert(m)
      more = page.hasMore && page.messages.length > 0
    }
    if (list.atBottom()) list.scrollToBottom()
    ctx.store.markReadIfVisible(ctx.conversationId)
  }

  /** A search result: loads back to the message, scrolls it into view and marks it. */
  async function reveal (seq: number): Promise<void> {
    while (hasMore && !list.has(seq) && (list.oldestSeq() ?? 0) > seq && isOpen()) await loadOlder()
    const target = list.find(seq)
    if (target === undefined) { ctx.showError('That message is no longer here'); return }
    target.classList.add('found')
    target.dataset.found = 'true'
    target.scrollIntoView({ block: 'center' })
  }

  // First page, then more until the list can scroll (scroll-back needs a scrollbar).
  async function start (focusSeq?: number): Promise<void> {
    await loadOlder()
    list.scrollToBottom()
    while (hasMore && list.el.scrollHeight <= list.el.clientHeight && isOpen()) await loadOlder()
    list.scrollToBottom()
    ctx.store.markReadIfVisible(ctx.conversationId)
    if (focusSeq !== undefined) await reveal(focusSeq)
  }

  list.el.addEventListener('scroll', () => { if (list.el.scrollTop < EDGE_PX) void loadOlder() })
  return { start, loadNewer }
}
