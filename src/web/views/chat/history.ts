import { errorText, t } from '../../i18n/index.js'
import type { ChatContext } from './context.js'
import { EDGE_PX, type MessageList } from './message-list.js'

const PAGE = 30
/** A catch-up after a reconnect fetches this many at a time. */
const CATCH_UP_PAGE = 100
/** A failed page is tried again after 1 s, 2 s, 4 s… up to this (sooner when the socket is back). */
const RETRY_MAX_MS = 30_000

export interface History {
  /** The first pages: enough to scroll, then the view at the bottom (or at `focusSeq`). */
  start: (focusSeq?: number) => Promise<void>
  /** Fetches what came after the newest shown message (after a reconnect). */
  loadNewer: () => Promise<void>
  /** The connection is back: a page that failed is tried now rather than at its back-off. */
  online: () => void
}

/**
 * Paging through a conversation: older pages on scrolling up, newer ones after a reconnect.
 * A page that fails (no network, server down) is not asked again at once: the top line says the
 * page waits, and the request is retried with back-off or as soon as the socket is online.
 */
export function history (ctx: ChatContext, list: MessageList, isOpen: () => boolean): History {
  let hasMore = true
  let loading = false
  /** The first page arrived: the view is at the bottom and follows the scroll. */
  let started = false
  let focus: number | undefined
  let failures = 0
  let retryTimer: ReturnType<typeof setTimeout> | undefined

  /** Retention: where the server says history starts (messages below it were purged). */
  let historyStartsAt = 0

  function showTop (state: 'loading' | 'waiting' | 'failed' | 'more' | 'beginning'): void {
    const purged = state === 'beginning' && historyStartsAt > 1
    list.top.dataset.state = purged ? 'retention' : state
    list.top.textContent = state === 'loading' ? t('chat.loading')
      : state === 'waiting' ? t('chat.waitingNetwork')
        : state === 'failed' ? t('chat.loadFailed')
          : purged ? t('chat.retentionStart')
            : state === 'beginning' ? t('chat.beginning') : ''
  }

  function scheduleRetry (err?: unknown): void {
    const code = (err as { code?: string } | undefined)?.code
    const network = err === undefined || code === 'NETWORK' || code === 'TIMEOUT' || !navigator.onLine
    showTop(network ? 'waiting' : 'failed')
    if (!network) ctx.showError(errorText(err))
    clearTimeout(retryTimer)
    // Offline: only the connection coming back (online()) tries again.
    if (!navigator.onLine) { retryTimer = undefined; return }
    const delay = Math.min(RETRY_MAX_MS, 1000 * 2 ** Math.min(failures - 1, 5))
    // A closed chat stops here: its view is gone.
    retryTimer = setTimeout(() => { retryTimer = undefined; if (isOpen()) void resume() }, delay)
  }

  /** Loads the page before the oldest shown message, keeping the view where it was; false when it failed. */
  async function loadOlder (): Promise<boolean> {
    if (loading || !hasMore || retryTimer !== undefined) return false
    if (!navigator.onLine) { failures++; scheduleRetry(); return false }
    loading = true
    showTop('loading')
    try {
      const before = list.oldestSeq()
      const page = await ctx.client.history(ctx.conversationId, before === undefined ? { limit: PAGE } : { before, limit: PAGE })
      const fromBottom = list.el.scrollHeight - list.el.scrollTop
      for (const m of page.messages) list.insert(m)
      hasMore = page.hasMore
      historyStartsAt = page.historyStartsAt ?? 0
      list.el.scrollTop = list.el.scrollHeight - fromBottom
      failures = 0
      showTop(hasMore ? 'more' : 'beginning')
      return true
    } catch (err) {
      failures++
      scheduleRetry(err)
      return false
    } finally {
      loading = false
    }
  }

  async function loadNewer (): Promise<void> {
    if (!started) { await resume(); return }
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
    while (hasMore && !list.has(seq) && (list.oldestSeq() ?? 0) > seq && isOpen()) if (!await loadOlder()) return
    const target = list.find(seq)
    if (target === undefined) { ctx.showError(t('chat.notHere')); return }
    target.classList.add('found')
    target.dataset.found = 'true'
    target.scrollIntoView({ block: 'center' })
  }

  /** First page, then more until the list can scroll (scroll-back needs a scrollbar); stops at a failure. */
  async function resume (): Promise<void> {
    if (!started) {
      if (!await loadOlder()) return
      started = true
      list.scrollToBottom()
    }
    while (hasMore && list.el.scrollHeight <= list.el.clientHeight && isOpen()) if (!await loadOlder()) return
    // Opened with unread messages: they start at the top of the view, after the line.
    const unread = list.el.querySelector('[data-testid="unread-line"]')
    if (unread !== null && focus === undefined) unread.scrollIntoView({ block: 'start' })
    else list.scrollToBottom()
    ctx.store.markReadIfVisible(ctx.conversationId)
    if (focus !== undefined) {
      const seq = focus
      focus = undefined
      await reveal(seq)
    }
  }

  async function start (focusSeq?: number): Promise<void> {
    focus = focusSeq
    await resume()
  }

  function online (): void {
    if (retryTimer === undefined && failures === 0) return
    clearTimeout(retryTimer)
    retryTimer = undefined
    void resume()
  }

  list.el.addEventListener('scroll', () => { if (started && list.el.scrollTop < EDGE_PX) void loadOlder() })
  return { start, loadNewer, online }
}
