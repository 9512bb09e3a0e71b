import type { Client } from '../client.js'
import type { Conversation, Message, RecalledEvent, ReceiptEvent } from '../protocol.js'
import { compareConversations, countsAsUnread, mentions } from './unread.js'
import { Store } from './store.js'

/** Options of a ConversationList. */
export interface ConversationListOptions {
  /** Keep archived conversations in the list (default: they leave it, as in `GET /conversations`). */
  archived?: boolean
  /** Conversations per request while loading (default: the server's). */
  pageSize?: number
}

/** What a ConversationList holds at one moment (immutable). */
export interface ConversationListSnapshot {
  /** Pinned first, then the newest activity. */
  conversations: readonly Conversation[]
  /** The first load finished. */
  loaded: boolean
  /** The last load failed (the list keeps what it had). */
  error: Error | undefined
}

/**
 * The signed-in user's conversations, loaded once and kept current from the client's events:
 * new messages (last message, unread, mentions, order), edits and recalls, reads from the
 * user's other devices, settings, conversations that change or appear. Call `close()` when done.
 */
export class ConversationList extends Store<ConversationListSnapshot> {
  private readonly byId = new Map<string, Conversation>()
  private readonly unsubscribe: Array<() => void>
  private readonly refreshing = new Map<string, Promise<void>>()
  private loading: Promise<void> | undefined
  private closed = false

  private readonly client: Client
  private readonly options: ConversationListOptions
  constructor (client: Client, options: ConversationListOptions = {}) {
    super({ conversations: [], loaded: false, error: undefined })
    this.client = client
    this.options = options
    this.unsubscribe = [
      client.on('message:new', (m) => { this.onMessage(m) }),
      client.on('message:updated', (m) => { this.onUpdated(m) }),
      client.on('message:recalled', (e) => { this.onRecalled(e) }),
      client.on('message:read', (e) => { this.onRead(e) }),
      client.on('message:hidden', (e) => { void this.refresh(e.conversationId) }),
      client.on('conversation:cleared', (e) => { void this.refresh(e.conversationId) }),
      client.on('conversation:updated', (c) => { this.onConversation(c) }),
      client.on('conversation:settings', (e) => { this.patch(e.conversationId, { settings: e.settings }) }),
      // After a reconnect: memberships and reads that changed meanwhile.
      client.on('synced', () => { if (this.getSnapshot().loaded) void this.load() })
    ]
  }

  /** Loads every page of the list (again); events keep it current afterwards. */
  load (): Promise<void> {
    this.loading ??= this.loadAll().finally(() => { this.loading = undefined })
    return this.loading
  }

  /** Looks one conversation up in the list. */
  get (conversationId: string): Conversation | undefined {
    return this.byId.get(conversationId)
  }

  /** Stops following the client's events. */
  close (): void {
    this.closed = true
    for (const off of this.unsubscribe) off()
  }

  private async loadAll (): Promise<void> {
    try {
      if (this.client.user === undefined) await this.client.me()
      const all: Conversation[] = []
      let cursor: string | undefined
      do {
        const page = await this.client.conversationsPage({ limit: this.options.pageSize, cursor, archived: this.options.archived })
        all.push(...page.conversations)
        cursor = page.nextCursor
      } while (cursor !== undefined && !this.closed)
      this.byId.clear()
      for (const c of all) this.byId.set(c.id, c)
      this.publish(undefined)
    } catch (err) {
      this.publish(err instanceof Error ? err : new Error(String(err)), this.getSnapshot().loaded)
    }
  }

  /** Reads one conversation again (a change the events do not describe whole). */
  private refresh (conversationId: string): Promise<void> {
    let run = this.refreshing.get(conversationId)
    if (run === undefined) {
      run = this.client.conversation(conversationId).then((c) => {
        if (!this.closed) this.put(c)
      }, (err: unknown) => {
        // Not a member any more: it leaves the list.
        if ((err as { code?: string }).code === 'NOT_FOUND' || (err as { code?: string }).code === 'FORBIDDEN') this.remove(conversationId)
      }).finally(() => { this.refreshing.delete(conversationId) })
      this.refreshing.set(conversationId, run)
    }
    return run
  }

  private get me (): string | undefined { return this.client.user?.id }

  private onMessage (m: Message): void {
    const c = this.byId.get(m.conversationId)
    if (c === undefined) { void this.refresh(m.conversationId); return }
    if (m.seq <= c.lastSeq && c.lastMessage !== null) return
    const next: Conversation = { ...c, lastMessage: m, lastSeq: Math.max(m.seq, c.lastSeq), lastActivityAt: m.createdAt > c.lastActivityAt ? m.createdAt : c.lastActivityAt }
    // Sending reads the conversation up to my message (the server moves my read position).
    if (m.senderId === this.me && m.seq > (c.readSeq ?? 0)) Object.assign(next, { readSeq: m.seq, unread: 0, unreadMentions: 0 })
    else if (countsAsUnread(m, this.me, c.readSeq ?? 0)) {
      next.unread = (c.unread ?? 0) + 1
      if (mentions(m, this.me)) next.unreadMentions = (c.unreadMentions ?? 0) + 1
      // A later message (not system, not while muted) un-archives the conversation.
      if (c.settings?.archived === true && !muted(c)) next.settings = { ...c.settings, archived: false }
    }
    this.put(next)
  }

  private onUpdated (m: Message): void {
    const c = this.byId.get(m.conversationId)
    if (c === undefined) return
    const wasLast = c.lastMessage?.id === m.id ? c.lastMessage : undefined
    if (wasLast !== undefined && (wasLast.rev ?? 0) <= m.rev) this.put({ ...c, lastMessage: m })
    // A recalled message leaves the counts: the server recounts them.
    if (m.recalled === true && wasLast?.recalled !== true && m.senderId !== this.me && m.seq > (c.readSeq ?? 0)) void this.refresh(c.id)
  }

  private onRecalled (e: RecalledEvent): void {
    const c = this.byId.get(e.conversationId)
    if (c === undefined) return
    if (c.lastMessage?.id === e.messageId && c.lastMessage.recalled !== true) {
      this.put({ ...c, lastMessage: { ...c.lastMessage, recalled: true, content: null } })
    }
    if (e.seq > (c.readSeq ?? 0)) void this.refresh(c.id)
  }

  /** My own read position moved (this device or another): the unread count follows. */
  private onRead (e: ReceiptEvent): void {
    const c = this.byId.get(e.conversationId)
    if (c === undefined || e.userId !== this.me || e.seq <= (c.readSeq ?? 0)) return
    if (e.seq >= c.lastSeq) this.put({ ...c, readSeq: e.seq, unread: 0, unreadMentions: 0 })
    else {
      this.put({ ...c, readSeq: e.seq })
      void this.refresh(c.id)
    }
  }

  /** Shared fields changed, or a conversation appeared (a group I was added to). */
  private onConversation (shared: Conversation): void {
    const c = this.byId.get(shared.id)
    if (c === undefined) { void this.refresh(shared.id); return }
    // conversation:updated carries no per-member fields: keep mine.
    this.put({ ...shared, readSeq: c.readSeq, deliveredSeq: c.deliveredSeq, unread: c.unread, unreadMentions: c.unreadMentions, settings: c.settings })
  }

  private patch (conversationId: string, fields: Partial<Conversation>): void {
    const c = this.byId.get(conversationId)
    if (c === undefined) { void this.refresh(conversationId); return }
    this.put({ ...c, ...fields })
  }

  private put (c: Conversation): void {
    this.byId.set(c.id, c)
    this.publish(this.getSnapshot().error, this.getSnapshot().loaded)
  }

  private remove (conversationId: string): void {
    if (this.byId.delete(conversationId)) this.publish(this.getSnapshot().error, this.getSnapshot().loaded)
  }

  private publish (error: Error | undefined, loaded = true): void {
    const shown = [...this.byId.values()].filter((c) => this.options.archived === true || c.settings?.archived !== true)
    this.setSnapshot({ conversations: shown.sort(compareConversations), loaded, error })
  }
}

function muted (c: Conversation): boolean {
  const until = c.settings?.mutedUntil
  return until !== null && until !== undefined && Date.parse(until) > Date.now()
}
