import type { Client } from '../client.js'
import type { Message } from '../protocol.js'
import { Store } from './store.js'

/** Where a message of mine stands: shown at once (`sending`), acknowledged (`sent`), or given up (`failed`). */
export type SendStatus = 'sending' | 'sent' | 'failed'

/**
 * A message of the list: the server's, or my own local echo (`status`, and until the ack,
 * `seq` 0 and an id of `local:<clientMsgId>`).
 */
export type ListMessage = Message & { status?: SendStatus, error?: string }

/** Options of a MessageList. */
export interface MessageListOptions {
  /** Messages per history request (default 50). */
  pageSize?: number
}

/** What a MessageList holds at one moment (immutable). */
export interface MessageListSnapshot {
  /** Oldest first: the server's messages in seq order, then my messages still on their way. */
  messages: readonly ListMessage[]
  /** Older history exists on the server (see `loadOlder`). */
  hasMore: boolean
  /** A history request is running. */
  loading: boolean
  error: Error | undefined
}

/** Whether a message shows in the main timeline: not a thread-only reply (docs/protocol.md, "Threads"). */
export const inTimeline = (m: { threadRootId?: string, alsoInChat?: boolean }): boolean => m.threadRootId === undefined || m.alsoInChat === true

/**
 * One conversation's messages: the newest history, older pages on demand, and live changes
 * (new messages without duplicates, edits, reactions, pins and recalls applied in `rev`
 * order, deletions for me, cleared history). Call `close()` when done.
 */
export class MessageList extends Store<MessageListSnapshot> {
  private readonly byKey = new Map<string, ListMessage>()
  private readonly unsubscribe: Array<() => void>
  private oldestSeq: number | undefined
  private hasMore = true
  private pageRun: Promise<boolean> | undefined
  private error: Error | undefined
  private closed = false

  private readonly client: Client
  readonly conversationId: string
  private readonly options: MessageListOptions
  constructor (client: Client, conversationId: string, options: MessageListOptions = {}) {
    super({ messages: [], hasMore: true, loading: false, error: undefined })
    this.client = client
    this.conversationId = conversationId
    this.options = options
    const mine = (e: { conversationId: string }): boolean => e.conversationId === conversationId
    this.unsubscribe = [
      // The main timeline: a thread-only reply belongs to its thread's view (`threadMessages`), not here.
      client.on('message:new', (m) => { if (mine(m) && inTimeline(m)) this.upsert(m) }),
      // A change to a message older than the loaded window would leave a hole: it is read with that page.
      client.on('message:updated', (m) => { if (mine(m) && inTimeline(m) && (this.byKey.has(keyOf(m)) || m.seq > (this.oldestSeq ?? 0))) this.upsert(m) }),
      // A reply changed its root's summary: the root shows the new count (a newer rev wins).
      client.on('thread:updated', (e) => {
        const root = mine(e) ? this.find(e.rootId) : undefined
        if (root !== undefined && e.rev > root.rev) this.put({ ...root, rev: e.rev, thread: e.thread })
      }),
      client.on('message:recalled', (e) => {
        const m = mine(e) ? this.find(e.messageId) : undefined
        if (m !== undefined && m.recalled !== true) this.put({ ...m, recalled: true, content: null })
      }),
      client.on('message:hidden', (e) => { if (mine(e)) this.removeWhere((m) => m.id === e.messageId) }),
      client.on('conversation:cleared', (e) => { if (mine(e)) this.removeWhere((m) => m.status === undefined && m.seq <= e.clearedSeq) })
    ]
  }

  /**
   * Loads the page before the oldest loaded message (the newest page first). Resolves with
   * whether older history remains; concurrent calls share one request.
   */
  loadOlder (): Promise<boolean> {
    if (!this.hasMore || this.closed) return Promise.resolve(false)
    this.pageRun ??= this.fetchOlder().finally(() => { this.pageRun = undefined; this.publish() })
    this.publish()
    return this.pageRun
  }

  /** Pages through older history: `for await (const page of list.older())`, newest page first. */
  async * older (): AsyncGenerator<readonly ListMessage[]> {
    while (this.hasMore && !this.closed) {
      const before = this.oldestSeq
      await this.loadOlder()
      yield this.getSnapshot().messages.filter((m) => m.status === undefined && (before === undefined || m.seq < before))
    }
  }

  /** Stops following the client's events. */
  close (): void {
    this.closed = true
    for (const off of this.unsubscribe) off()
  }

  /** Adds messages known from elsewhere (a local cache); a newer rev wins as for live ones. */
  merge (messages: readonly Message[]): void {
    for (const m of messages) this.upsert(m, false)
    this.publish()
  }

  /** Adds or updates my local echo of a message (see OfflineClient); the server's copy, once here, stays. */
  putLocal (m: ListMessage): void {
    if (this.byKey.get(keyOf(m))?.status === undefined && this.byKey.has(keyOf(m))) return
    this.put(m)
  }

  /** Removes my local echo (a failed message given up). */
  removeLocal (m: ListMessage): void {
    const key = keyOf(m)
    if (this.byKey.get(key)?.status !== undefined) this.removeWhere((x) => keyOf(x) === key)
  }

  private async fetchOlder (): Promise<boolean> {
    try {
      const limit = this.options.pageSize ?? 50
      const page = await this.client.history(this.conversationId, this.oldestSeq === undefined ? { limit } : { before: this.oldestSeq, limit })
      for (const m of page.messages) this.upsert(m, false)
      this.hasMore = page.hasMore
      this.error = undefined
    } catch (err) {
      this.error = err instanceof Error ? err : new Error(String(err))
    }
    return this.hasMore
  }

  private find (id: string): ListMessage | undefined {
    for (const m of this.byKey.values()) if (m.id === id) return m
    return undefined
  }

  /** A newer state of a message wins (higher rev); my echo gives way to the server's copy. */
  private upsert (m: Message, publish = true): void {
    const known = this.byKey.get(keyOf(m))
    if (known !== undefined && known.status === undefined && known.rev >= m.rev) return
    this.put(m, publish)
  }

  private put (m: ListMessage, publish = true): void {
    this.byKey.set(keyOf(m), m)
    if (m.status === undefined && (this.oldestSeq === undefined || m.seq < this.oldestSeq)) this.oldestSeq = m.seq
    if (publish) this.publish()
  }

  private removeWhere (test: (m: ListMessage) => boolean): void {
    let removed = false
    for (const [key, m] of this.byKey) if (test(m)) removed = this.byKey.delete(key)
    if (removed) this.publish()
  }

  private publish (): void {
    const messages = [...this.byKey.values()].sort(order)
    this.setSnapshot({ messages, hasMore: this.hasMore, loading: this.pageRun !== undefined, error: this.error })
  }
}

/** Messages are known by sender and clientMsgId, so my echo and the server's copy are one entry. */
function keyOf (m: Pick<Message, 'senderId' | 'clientMsgId'>): string {
  return `${m.senderId}/${m.clientMsgId}`
}

/** Server messages by seq; my messages still without one after them, in the order they were made. */
function order (a: ListMessage, b: ListMessage): number {
  const aLocal = a.seq === 0 ? 1 : 0
  const bLocal = b.seq === 0 ? 1 : 0
  if (aLocal !== bLocal) return aLocal - bLocal
  return aLocal === 1 ? (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0) : a.seq - b.seq
}
