import type {
  Client, ConnectionStatus, MessageContent, MessageType, Conversation, Friend, FriendRequest, Message, PresenceEvent, PresenceState, ReceiptEvent, RecalledEvent, SettingsUpdate, User
} from '@relay-im/client'
import { compareConversations, countsAsUnread, mentions } from '@relay-im/client/state'
import { t } from './i18n/index.js'

/** A notice the server wrote (membership and profile changes): it is nobody's unread message. */
export function isSystem (m: Pick<Message, 'type'>): boolean {
  return (m.type as string) === 'system'
}

/** What views listen to; each says what changed. */
export type StoreEvent =
  | { type: 'status' }
  | { type: 'conversations' }
  | { type: 'contacts' }
  | { type: 'message', message: Message }
  | { type: 'recalled', event: RecalledEvent }
  /** A message changed (edit, recall, reactions, pin): its whole new state, so views replace rather than patch. */
  | { type: 'updated', message: Message }
  | { type: 'hidden', conversationId: string, messageId: string }
  | { type: 'cleared', conversationId: string, clearedSeq: number }
  | { type: 'receipts', conversationId: string }
  | { type: 'typing', conversationId: string }
  | { type: 'resynced' }
  /** Names of people no longer in a conversation arrived: notices that mention them re-render. */
  | { type: 'names' }
  /** A thread changed: a reply (`replyCount`), or my read position or follow on another device. */
  | { type: 'thread', conversationId: string, rootId: string, replyCount?: number }

/** One of my sends the server has not acknowledged yet. */
export interface Unsent { type: MessageType, body: MessageContent, label?: string, failed?: string }

interface Receipts { read: Record<string, number>, delivered: Record<string, number> }

const TYPING_SHOWN_MS = 6000

/**
 * The page's state, fed by the SDK's events: conversations with unread counts, contacts
 * and presence, other members' read/delivered positions, who is typing. Views render from
 * it and call `client` for actions.
 */
export class Store {
  status: ConnectionStatus = 'offline'
  conversations = new Map<string, Conversation>()
  friends: Friend[] = []
  incoming: FriendRequest[] = []
  outgoing: FriendRequest[] = []
  presence = new Map<string, PresenceState>()
  /** Display names of everyone seen in any conversation (system notices name former members). */
  readonly names = new Map<string, string>()
  private readonly fetchingNames = new Set<string>()
  /** Seconds after sending during which I may recall a message (the server says, GET /api/version). */
  recallWindowS = 120
  /** The conversation on screen, if any. */
  activeId: string | undefined
  private readonly typingTimers = new Map<string, Map<string, ReturnType<typeof setTimeout>>>()
  private readonly receipts: Record<string, Receipts>
  private readonly listeners = new Set<(e: StoreEvent) => void>()
  private readonly deliveredPending = new Map<string, number>()
  private wasOnline = false
  /**
   * People whose presence the socket told (its snapshot at connect, or an event since): the
   * socket's word is final for them, list reads over HTTP only fill in the others (someone
   * befriended after the snapshot, until their first event).
   */
  private readonly presenceFromSocket = new Set<string>()
  /**
   * My sends not yet acknowledged, by conversation and clientMsgId: the SDK keeps them until the
   * connection is back; the chat shows them again when it is reopened meanwhile.
   */
  readonly unsent = new Map<string, Map<string, Unsent>>()

  readonly client: Client
  readonly me: User
  constructor (client: Client, me: User) {
    this.client = client
    this.me = me
    // Other members' positions arrive only as live receipts; keep them across reloads.
    let saved: Record<string, Receipts> = {}
    try {
      saved = JSON.parse(localStorage.getItem(this.receiptsKey) ?? '{}') as Record<string, Receipts>
    } catch {}
    this.receipts = saved
    this.wire()
  }

  private get receiptsKey (): string { return `relay.receipts.${this.me.id}` }

  subscribe (fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  /** Re-render the conversation list (e.g. the active one changed). */
  emitConversations (): void { this.emit({ type: 'conversations' }) }

  private emit (e: StoreEvent): void {
    for (const fn of [...this.listeners]) fn(e)
  }

  /** Loads everything the sidebar shows. */
  async load (): Promise<void> {
    await Promise.all([this.loadConversations(), this.loadContacts()])
  }

  async loadConversations (): Promise<void> {
    // `archived: true` lists the archived ones too (settings.archived tells them apart).
    const list = await this.client.conversations({ limit: 100, archived: true })
    const cursors = this.client.getCursors()
    this.conversations = new Map(list.map((c) => [c.id, c]))
    for (const c of list) {
      this.learnNames(c)
      if (c.peer !== undefined) this.readPresence(c.peer.id, c.peer.presence)
      // Catch-up after a reconnect covers every listed conversation, not only those seen live.
      if ((cursors[c.id] ?? -1) < c.lastSeq) this.client.setCursor(c.id, c.lastSeq)
      // And changes: from the last message's rev at the latest (a replay is harmless, a skip is not).
      if (this.client.getRevCursors()[c.id] === undefined && c.lastMessage !== null) this.client.setRevCursor(c.id, c.lastMessage.rev - 1)
      // What arrived while we were away is delivered now.
      if ((c.deliveredSeq ?? 0) < c.lastSeq && c.lastMessage?.senderId !== this.me.id) this.delivered(c.id, c.lastSeq)
    }
    this.emit({ type: 'conversations' })
  }

  async loadContacts (): Promise<void> {
    const [friends, incoming, outgoing] = await Promise.all([
      this.client.friends(), this.client.friendRequests('incoming'), this.client.friendRequests('outgoing')
    ])
    this.friends = friends
    this.incoming = incoming.filter((r) => r.status === 'pending')
    this.outgoing = outgoing.filter((r) => r.status === 'pending')
    for (const f of friends) this.readPresence(f.user.id, f.presence)
    this.emit({ type: 'contacts' })
    this.emit({ type: 'conversations' })
  }

  /** A presence from a list read, for someone the socket has not told about. */
  private readPresence (userId: string, p: PresenceState): void {
    if (this.presenceFromSocket.has(userId)) return
    this.presence.set(userId, p)
  }

  /** A presence the socket told: applied in arrival order (the snapshot, then the events after it). */
  private livePresence (e: PresenceEvent): void {
    this.presenceFromSocket.add(e.userId)
    this.presence.set(e.userId, { online: e.online, lastSeenAt: e.lastSeenAt, ...(e.hidden === true ? { hidden: true as const } : {}) })
  }

  /** Conversations, pinned first, then newest activity first; the archive on its own. */
  sortedConversations (archived = false): Conversation[] {
    return [...this.conversations.values()]
      .filter((c) => (c.settings?.archived === true) === archived)
      .sort(compareConversations)
  }

  /** How many conversations are archived. */
  archivedCount (): number {
    let n = 0
    for (const c of this.conversations.values()) if (c.settings?.archived === true) n++
    return n
  }

  /** Whether the conversation is muted now. */
  muted (c: Conversation): boolean {
    const until = c.settings?.mutedUntil
    return until !== null && until !== undefined && Date.parse(until) > Date.now()
  }

  /** My role in a group or channel. */
  role (c: Conversation | undefined): 'owner' | 'admin' | 'member' | undefined {
    const listed = c?.members.find((m) => m.id === this.me.id)?.role
    // A channel's members are not sent (only memberCount): its owner is known by ownerId.
    if (listed === undefined && c?.type === 'channel') return c.ownerId === this.me.id ? 'owner' : 'member'
    return listed
  }

  /** Changes my settings of a conversation and shows the result at once. */
  async updateSettings (conversationId: string, patch: SettingsUpdate): Promise<void> {
    const settings = await this.client.updateSettings(conversationId, patch)
    const c = this.conversations.get(conversationId)
    if (c !== undefined) c.settings = settings
    this.emit({ type: 'conversations' })
  }

  /** Adds (or refreshes) a conversation I just joined or made, and shows it. */
  add (c: Conversation): void {
    const old = this.conversations.get(c.id)
    this.learnNames(c)
    this.conversations.set(c.id, { ...c, unread: c.unread ?? old?.unread ?? 0, readSeq: c.readSeq ?? old?.readSeq ?? 0, settings: c.settings ?? old?.settings })
    if ((this.client.getCursors()[c.id] ?? -1) < c.lastSeq) this.client.setCursor(c.id, c.lastSeq)
    this.emit({ type: 'conversations' })
  }

  /** "You", a known name, or (while it is fetched) "Someone". */
  nameOf (userId: string): string {
    if (userId === this.me.id) return t('name.you')
    const known = this.names.get(userId)
    if (known !== undefined) return known
    if (!this.fetchingNames.has(userId)) {
      this.fetchingNames.add(userId)
      this.client.getUser(userId).then((u) => {
        this.names.set(u.id, u.displayName)
        this.emit({ type: 'names' })
      }, () => {})
    }
    return t('name.someone')
  }

  private learnNames (c: Conversation): void {
    for (const m of c.members) this.names.set(m.id, m.displayName)
  }

  title (c: Conversation): string {
    if (c.type === 'group' || c.type === 'channel') return c.name ?? (c.type === 'group' ? t('name.group') : t('name.channel'))
    const peer = c.peer ?? c.members.find((m) => m.id !== this.me.id)
    return peer?.displayName ?? t('name.conversation')
  }

  peerId (c: Conversation): string | undefined {
    return c.type === 'direct' ? (c.peer?.id ?? c.members.find((m) => m.id !== this.me.id)?.id) : undefined
  }

  online (userId: string | undefined): boolean {
    return userId !== undefined && this.presence.get(userId)?.online === true
  }

  typingIn (conversationId: string): string[] {
    const c = this.conversations.get(conversationId)
    const ids = [...(this.typingTimers.get(conversationId)?.keys() ?? [])]
    return ids.map((id) => c?.members.find((m) => m.id === id)?.displayName ?? t('name.someone'))
  }

  /** 'read' when every other member read seq, 'delivered' when every one got it, else 'sent'. */
  tickState (conversationId: string, seq: number): 'sent' | 'delivered' | 'read' {
    const c = this.conversations.get(conversationId)
    const others = c?.members.filter((m) => m.id !== this.me.id).map((m) => m.id) ?? []
    if (others.length === 0) return 'sent'
    const r = this.receipts[conversationId] ?? { read: {}, delivered: {} }
    if (others.every((id) => (r.read[id] ?? 0) >= seq)) return 'read'
    if (others.every((id) => Math.max(r.read[id] ?? 0, r.delivered[id] ?? 0) >= seq)) return 'delivered'
    return 'sent'
  }

  /** Marks the conversation read up to its last message when it is on screen and visible. */
  markReadIfVisible (conversationId: string): void {
    const c = this.conversations.get(conversationId)
    if (c === undefined || this.activeId !== conversationId || document.visibilityState !== 'visible') return
    if ((c.readSeq ?? 0) >= c.lastSeq && (c.unread ?? 0) === 0) return
    c.readSeq = c.lastSeq
    c.unread = 0
    c.unreadMentions = 0
    this.emit({ type: 'conversations' })
    this.client.markRead(conversationId, c.lastSeq).catch(() => {})
  }

  private reloadTimer: ReturnType<typeof setTimeout> | undefined
  /** One list reload for a burst of events that need it. */
  private reloadSoon (): void {
    if (this.reloadTimer !== undefined) return
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined
      void this.loadConversations().catch(() => {})
    }, 200)
  }

  /** Tells the senders a message reached this device; batched per conversation. */
  private delivered (conversationId: string, seq: number): void {
    const pending = this.deliveredPending.get(conversationId)
    this.deliveredPending.set(conversationId, Math.max(pending ?? 0, seq))
    if (pending !== undefined) return
    setTimeout(() => {
      const upTo = this.deliveredPending.get(conversationId) ?? seq
      this.deliveredPending.delete(conversationId)
      this.client.markDelivered(conversationId, upTo).catch(() => {})
    }, 50)
  }

  private receipt (kind: 'read' | 'delivered', e: ReceiptEvent): void {
    if (e.userId === this.me.id) {
      const c = this.conversations.get(e.conversationId)
      if (kind === 'read' && c !== undefined && e.seq > (c.readSeq ?? 0)) {
        c.readSeq = e.seq
        c.unread = e.seq >= c.lastSeq ? 0 : Math.min(c.unread ?? 0, c.lastSeq - e.seq)
        if (e.seq >= c.lastSeq) c.unreadMentions = 0
        this.emit({ type: 'conversations' })
      }
      return
    }
    const r = this.receipts[e.conversationId] ??= { read: {}, delivered: {} }
    r[kind][e.userId] = Math.max(r[kind][e.userId] ?? 0, e.seq)
    localStorage.setItem(this.receiptsKey, JSON.stringify(this.receipts))
    this.emit({ type: 'receipts', conversationId: e.conversationId })
  }

  private onMessage (m: Message): void {
    const c = this.conversations.get(m.conversationId)
    const mine = m.senderId === this.me.id
    if (mine) this.settleUnsent(m.conversationId, m.clientMsgId)
    if (c === undefined) {
      void this.loadConversations().catch(() => {})
    } else if (m.threadRootId !== undefined && m.alsoInChat !== true) {
      // A thread-only reply: not the chat's last message nor its unread (its thread has its own).
      c.lastSeq = Math.max(c.lastSeq, m.seq)
      if (mine) c.readSeq = Math.max(c.readSeq ?? 0, m.seq)
    } else if (m.seq > c.lastSeq || c.lastMessage === null) {
      c.lastSeq = m.seq
      c.lastMessage = m
      c.lastActivityAt = m.createdAt
      if (mine) c.readSeq = m.seq
      // The SDK's unread rule (@relay-im/client/state, as its ConversationList): not mine, not a system notice.
      else if (countsAsUnread(m, this.me.id, c.readSeq ?? 0)) {
        c.unread = (c.unread ?? 0) + 1
        if (mentions({ ...m, mentions: m.mentions ?? [] }, this.me.id)) c.unreadMentions = (c.unreadMentions ?? 0) + 1
      }
      // A new message brings an archived conversation back, unless it is muted (as the server does).
      if (c.settings?.archived === true && !this.muted(c) && c.settings.notify !== 'none' && !isSystem(m)) c.settings = { ...c.settings, archived: false }
    }
    // Someone joined or left a channel: its member count (a channel lists no members) is the
    // list's to say. A group's conversation:updated carries its members.
    if (isSystem(m) && c?.type === 'channel') this.reloadSoon()
    if (!mine) {
      this.delivered(m.conversationId, m.seq)
      this.stopTyping(m.conversationId, m.senderId)
    }
    this.emit({ type: 'message', message: m })
    this.emit({ type: 'conversations' })
    if (!mine) this.markReadIfVisible(m.conversationId)
  }

  /** Remembers a send until its acknowledgement (or updates its label or failure). */
  keepUnsent (conversationId: string, clientMsgId: string, unsent: Unsent): void {
    let sends = this.unsent.get(conversationId)
    if (sends === undefined) this.unsent.set(conversationId, sends = new Map())
    sends.set(clientMsgId, unsent)
  }

  settleUnsent (conversationId: string, clientMsgId: string): void {
    this.unsent.get(conversationId)?.delete(clientMsgId)
  }

  private stopTyping (conversationId: string, userId: string): void {
    const timers = this.typingTimers.get(conversationId)
    const timer = timers?.get(userId)
    if (timer === undefined) return
    clearTimeout(timer)
    timers?.delete(userId)
    this.emit({ type: 'typing', conversationId })
  }

  private wire (): void {
    const { client } = this
    client.on('status', (s) => {
      this.status = s
      this.emit({ type: 'status' })
      if (s === 'online') {
        // Read the lists again once the socket is up, the first time too: requests and
        // conversations may have moved on since the page's first read, before any event could
        // reach us. Presence is the socket's own (presence:snapshot), never from this read.
        const back = this.wasOnline
        void this.load().then(() => { if (back) this.emit({ type: 'resynced' }) }, () => {})
        this.wasOnline = true
      }
    })
    client.on('message:new', (m) => { this.onMessage(m) })
    client.on('message:read', (e) => { this.receipt('read', e) })
    client.on('message:delivered', (e) => { this.receipt('delivered', e) })
    client.on('message:recalled', (e) => {
      const c = this.conversations.get(e.conversationId)
      if (c?.lastMessage?.id === e.messageId) c.lastMessage = { ...c.lastMessage, content: null, recalled: true }
      this.emit({ type: 'recalled', event: e })
      this.emit({ type: 'conversations' })
    })
    client.on('message:updated', (m) => {
      const c = this.conversations.get(m.conversationId)
      if (c?.lastMessage?.id === m.id && m.rev >= (c.lastMessage.rev ?? 0)) {
        c.lastMessage = m
        this.emit({ type: 'conversations' })
      }
      this.emit({ type: 'updated', message: m })
    })
    client.on('thread:updated', (e) => { this.emit({ type: 'thread', conversationId: e.conversationId, rootId: e.rootId, replyCount: e.thread.replyCount }) })
    client.on('thread:read', (e) => { if (e.userId === this.me.id) this.emit({ type: 'thread', conversationId: e.conversationId, rootId: e.rootId }) })
    client.on('thread:followed', (e) => { this.emit({ type: 'thread', conversationId: e.conversationId, rootId: e.rootId }) })
    // Per-user changes: the list's last message and counts are the server's to recompute.
    client.on('message:hidden', (e) => {
      this.emit({ type: 'hidden', conversationId: e.conversationId, messageId: e.messageId })
      void this.loadConversations().catch(() => {})
    })
    client.on('conversation:cleared', (e) => {
      this.emit({ type: 'cleared', conversationId: e.conversationId, clearedSeq: e.clearedSeq })
      void this.loadConversations().catch(() => {})
    })
    client.on('typing', (e) => {
      if (e.userId === this.me.id) return
      let timers = this.typingTimers.get(e.conversationId)
      if (timers === undefined) this.typingTimers.set(e.conversationId, timers = new Map())
      clearTimeout(timers.get(e.userId))
      if (e.typing) {
        timers.set(e.userId, setTimeout(() => { this.stopTyping(e.conversationId, e.userId) }, TYPING_SHOWN_MS))
        this.emit({ type: 'typing', conversationId: e.conversationId })
      } else {
        this.stopTyping(e.conversationId, e.userId)
      }
    })
    client.on('presence:snapshot', (e) => {
      for (const p of e.users) this.livePresence(p)
      this.emit({ type: 'contacts' })
      this.emit({ type: 'conversations' })
    })
    client.on('presence', (e) => {
      this.livePresence(e)
      this.emit({ type: 'contacts' })
      this.emit({ type: 'conversations' })
    })
    const reloadContacts = (): void => { void this.loadContacts().catch(() => {}) }
    client.on('friend:request', reloadContacts)
    client.on('friend:accepted', reloadContacts)
    client.on('friend:removed', reloadContacts)
    // My settings (pin, archive, mute, notify) changed on another device: the views showing them redraw.
    client.on('conversation:settings', (e) => {
      const c = this.conversations.get(e.conversationId)
      if (c === undefined) return
      c.settings = e.settings
      this.emit({ type: 'conversations' })
    })
    client.on('conversation:updated', (c) => {
      const old = this.conversations.get(c.id)
      this.learnNames(c)
      this.conversations.set(c.id, {
        ...c,
        readSeq: old?.readSeq ?? c.readSeq,
        deliveredSeq: old?.deliveredSeq ?? c.deliveredSeq,
        unread: old?.unread ?? c.unread ?? 0,
        unreadMentions: old?.unreadMentions ?? c.unreadMentions,
        // conversation:updated is shared by all members: my own settings stay mine.
        settings: c.settings ?? old?.settings
      })
      // A channel's view lists no members (only memberCount): whether I am still in it is the
      // list's to say (a join, a departure and a profile change look alike here).
      const channelView = c.type === 'channel' && c.members.length === 0
      if (channelView) this.reloadSoon()
      else if (!c.members.some((m) => m.id === this.me.id)) this.conversations.delete(c.id)
      this.emit({ type: 'conversations' })
    })
    document.addEventListener('visibilitychange', () => {
      if (this.activeId !== undefined) this.markReadIfVisible(this.activeId)
    })
  }
}
