import type { Client } from '../client.js'
import { ClientError, isTransient } from '../errors.js'
import type { Message, MessageContent, SendInput, Tokens, User } from '../protocol.js'
import { ConversationList, type ConversationListOptions } from '../state/conversation-list.js'
import { MessageList, type ListMessage, type MessageListOptions } from '../state/message-list.js'
import { backoffDelay, sleep, uuid } from '../util.js'
import { KEYS, type QueuedOp, type StoredCursors } from './outbox-ops.js'
import type { StorageAdapter } from './storage.js'

/** Options of an OfflineClient. */
export interface OfflineOptions {
  storage: StorageAdapter
  /** Messages kept per conversation for the next start (default 100, newest). */
  recentMessages?: number
}

/**
 * Offline-first use of a Client: tokens, cursors, the outbox and recent messages live in a
 * StorageAdapter, so a new client on the same storage resumes where the last one stopped.
 * `send` shows a local echo at once (`status: 'sending'`, then `'sent'` with the ack, or
 * `'failed'`), reconciled with the server's copy by clientMsgId; `markRead`, `edit` and
 * `react` queue in the same outbox while offline. Every queued change is retried until the
 * server answers, with the same clientMsgId for sends, so a resumed outbox stores each message once.
 */
export class OfflineClient {
  private queue: QueuedOp[] = []
  private readonly lists = new Map<string, Set<MessageList>>()
  private readonly offs: Array<() => void> = []
  private readonly failedListeners = new Set<(op: QueuedOp, error: ClientError) => void>()
  private user: User | undefined
  private writes: Promise<void> = Promise.resolve()
  private draining: Promise<void> | undefined
  private cursorsDirty = false
  private readonly dirtyConversations = new Set<string>()
  /** Messages delivered since the last write, per conversation. */
  private readonly seen = new Map<string, Map<string, Message>>()
  private writeError: unknown
  private closed = false
  private readonly recent: number

  readonly client: Client
  private readonly options: OfflineOptions
  constructor (client: Client, options: OfflineOptions) {
    this.client = client
    this.options = options
    this.recent = options.recentMessages ?? 100
  }

  private get storage (): StorageAdapter { return this.options.storage }

  /**
   * Restores tokens (when the client has none), cursors and the outbox from storage, starts
   * persisting them, and sends what is queued as soon as the client is online. Needs the
   * signed-in user: the client's, the stored one, or `GET /users/me`.
   */
  async start (): Promise<void> {
    const { client, storage } = this
    const tokens = await storage.get<Tokens>(KEYS.tokens)
    if (tokens !== undefined && client.tokens.accessToken === undefined && client.tokens.refreshToken === undefined) client.setTokens(tokens)
    this.user = client.user ?? await storage.get<User>(KEYS.user) ?? await client.me()
    await storage.set(KEYS.user, this.user)
    const cursors = await storage.get<StoredCursors>(KEYS.cursors)
    for (const [id, seq] of Object.entries(cursors?.seqs ?? {})) if (client.getCursors()[id] === undefined) client.setCursor(id, seq)
    for (const [id, rev] of Object.entries(cursors?.revs ?? {})) if (client.getRevCursors()[id] === undefined) client.setRevCursor(id, rev)
    if (cursors?.memberships !== undefined && client.getMembershipsToken() === undefined) client.setMembershipsToken(cursors.memberships)
    this.queue = await storage.get<QueuedOp[]>(KEYS.outbox) ?? []
    this.offs.push(
      client.on('tokens', (t) => { this.write(() => storage.set(KEYS.tokens, t)) }),
      client.on('message:new', (m) => { this.remember(m) }),
      client.on('message:updated', (m) => { this.remember(m) }),
      client.on('synced', () => { this.cursorsChanged() }),
      client.on('status', (s) => { if (s === 'online') this.drain() })
    )
    const current = client.tokens
    if (current.accessToken !== undefined || current.refreshToken !== undefined) this.write(() => storage.set(KEYS.tokens, current))
    this.drain()
  }

  /** The signed-in user (known after start()). */
  get me (): User | undefined { return this.user }

  /** Changes still waiting for the server (sends that failed stay until retried or discarded). */
  get pending (): readonly QueuedOp[] { return this.queue }

  /**
   * Queues a message and returns its local echo at once (status `sending`); message lists
   * of its conversation show the echo until the server's copy replaces it.
   */
  async send (input: SendInput): Promise<ListMessage | undefined> {
    const clientMsgId = input.clientMsgId ?? uuid()
    const full = { ...input, clientMsgId } as SendInput & { clientMsgId: string }
    const echo = this.echoOf(full)
    if (echo !== undefined) this.showEcho(echo)
    await this.enqueue({ kind: 'send', input: full, echo })
    return echo
  }

  /** Marks a conversation read up to seq, now or once online. */
  async markRead (conversationId: string, seq: number): Promise<void> {
    await this.enqueue({ kind: 'read', conversationId, seq })
  }

  /** Edits one of my messages, now or once online. */
  async edit (messageId: string, content: MessageContent): Promise<void> {
    await this.enqueue({ kind: 'edit', messageId, content })
  }

  /** Adds my reaction, now or once online. */
  async react (messageId: string, emoji: string): Promise<void> {
    await this.enqueue({ kind: 'react', messageId, emoji })
  }

  /** Sends a failed message again (same clientMsgId). */
  async retry (clientMsgId: string): Promise<void> {
    const op = this.findSend(clientMsgId)
    if (op?.failed === undefined) return
    delete op.failed
    if (op.echo !== undefined) this.showEcho(op.echo = { ...op.echo, status: 'sending', error: undefined })
    await this.persistQueue()
    this.drain()
  }

  /** Gives up a failed message: it leaves the outbox and the lists. */
  async discard (clientMsgId: string): Promise<void> {
    const op = this.findSend(clientMsgId)
    if (op?.failed === undefined) return
    this.queue = this.queue.filter((o) => o !== op)
    if (op.echo !== undefined) for (const list of this.lists.get(op.echo.conversationId) ?? []) list.removeLocal(op.echo)
    await this.persistQueue()
  }

  /** Called when a queued change is refused for good (a send also shows `failed`). */
  onFailed (listener: (op: QueuedOp, error: ClientError) => void): () => void {
    this.failedListeners.add(listener)
    return () => { this.failedListeners.delete(listener) }
  }

  /** The conversation list (see ConversationList); call `load()` on it. */
  conversations (options?: ConversationListOptions): ConversationList {
    return new ConversationList(this.client, options)
  }

  /**
   * A conversation's message list, seeded with the messages stored for it and my messages
   * still in the outbox; `loadOlder()` continues from the oldest stored one.
   */
  async messages (conversationId: string, options?: MessageListOptions): Promise<MessageList> {
    const list = new MessageList(this.client, conversationId, options)
    list.merge(await this.storage.get<Message[]>(KEYS.messages(conversationId)) ?? [])
    for (const op of this.queue) if (op.kind === 'send' && op.echo?.conversationId === conversationId) list.putLocal(op.echo)
    let set = this.lists.get(conversationId)
    if (set === undefined) this.lists.set(conversationId, set = new Set())
    set.add(list)
    const close = list.close.bind(list)
    list.close = () => { set.delete(list); close() }
    return list
  }

  /** Waits for every storage write made so far; rejects with the first write that failed since the last flush. */
  async flush (): Promise<void> {
    this.flushDirty()
    await this.writes
    const err = this.writeError
    this.writeError = undefined
    if (err !== undefined) throw err
  }

  /** Stops persisting and sending (the queue stays in storage for the next start). */
  async close (): Promise<void> {
    this.closed = true
    for (const off of this.offs) off()
    await this.flush()
  }

  private echoOf (input: SendInput & { clientMsgId: string }): ListMessage | undefined {
    const user = this.user
    if (user === undefined || input.conversationId === undefined || input.type === undefined) return undefined
    return {
      id: `local:${input.clientMsgId}`,
      conversationId: input.conversationId,
      seq: 0,
      senderId: user.id,
      sender: { id: user.id, username: user.username, displayName: user.displayName, avatarUrl: user.avatarUrl },
      clientMsgId: input.clientMsgId,
      type: input.type,
      content: input.content,
      createdAt: new Date().toISOString(),
      rev: 0,
      editedAt: null,
      replyTo: null,
      mentions: input.mentions ?? [],
      reactions: [],
      forwardedFrom: null,
      pinnedAt: null,
      pinnedBy: null,
      status: 'sending'
    } as ListMessage
  }

  private showEcho (echo: ListMessage): void {
    for (const list of this.lists.get(echo.conversationId) ?? []) list.putLocal(echo)
  }

  private findSend (clientMsgId: string): Extract<QueuedOp, { kind: 'send' }> | undefined {
    return this.queue.find((o): o is Extract<QueuedOp, { kind: 'send' }> => o.kind === 'send' && o.input.clientMsgId === clientMsgId)
  }

  private async enqueue (op: QueuedOp): Promise<void> {
    if (this.closed) throw new ClientError('CLOSED', 'The offline client was closed')
    this.queue.push(op)
    await this.persistQueue()
    this.drain()
  }

  private persistQueue (): Promise<void> {
    const snapshot = this.queue.slice()
    this.write(() => this.storage.set(KEYS.outbox, snapshot))
    return this.writes
  }

  /** Storage writes in call order, one at a time. */
  private write (fn: () => Promise<void>): void {
    this.writes = this.writes.then(fn).catch((err: unknown) => { this.writeError ??= err })
  }

  private remember (m: Message): void {
    let seen = this.seen.get(m.conversationId)
    if (seen === undefined) this.seen.set(m.conversationId, seen = new Map())
    const old = seen.get(m.id)
    if (old === undefined || old.rev <= m.rev) seen.set(m.id, m)
    this.dirtyConversations.add(m.conversationId)
    this.cursorsChanged()
  }

  private cursorsChanged (): void {
    if (this.cursorsDirty) return
    this.cursorsDirty = true
    // Coalesced: a catch-up delivering hundreds of messages writes once.
    setTimeout(() => { this.flushDirty() }, 0)
  }

  private flushDirty (): void {
    if (this.cursorsDirty) {
      this.cursorsDirty = false
      const memberships = this.client.getMembershipsToken()
      const cursors: StoredCursors = { seqs: this.client.getCursors(), revs: this.client.getRevCursors(), ...(memberships !== undefined ? { memberships } : {}) }
      this.write(() => this.storage.set(KEYS.cursors, cursors))
    }
    for (const id of this.dirtyConversations) {
      this.write(async () => {
        const stored = await this.storage.get<Message[]>(KEYS.messages(id)) ?? []
        const byId = new Map(stored.map((m) => [m.id, m]))
        for (const m of this.seen.get(id)?.values() ?? []) {
          const old = byId.get(m.id)
          if (old === undefined || old.rev <= m.rev) byId.set(m.id, m)
        }
        this.seen.delete(id)
        const kept = [...byId.values()].sort((a, b) => a.seq - b.seq).slice(-this.recent)
        await this.storage.set(KEYS.messages(id), kept)
      })
    }
    this.dirtyConversations.clear()
  }

  private drain (): void {
    if (this.closed || this.draining !== undefined) return
    this.draining = this.run().finally(() => { this.draining = undefined })
  }

  private async run (): Promise<void> {
    let attempt = 0
    for (;;) {
      const op = this.queue.find((o) => o.kind !== 'send' || o.failed === undefined)
      if (op === undefined || this.closed) return
      if (this.client.status !== 'online') return // resumed by the next 'online'
      try {
        await this.execute(op)
        attempt = 0
        this.queue = this.queue.filter((o) => o !== op)
        await this.persistQueue()
      } catch (err) {
        const error = err instanceof ClientError ? err : new ClientError('INTERNAL', String(err))
        if (error.code === 'CLOSED') return
        if (isTransient(error)) {
          if (this.client.status !== 'online') return
          await sleep(backoffDelay(++attempt, this.client.backoff))
          continue
        }
        await this.refuse(op, error)
      }
    }
  }

  private async execute (op: QueuedOp): Promise<void> {
    const { client } = this
    switch (op.kind) {
      case 'send': {
        const ack = await client.send(op.input)
        if (op.echo !== undefined) this.showEcho(op.echo = { ...op.echo, id: ack.id, seq: ack.seq, createdAt: ack.createdAt, status: 'sent' })
        return
      }
      case 'read': await client.markRead(op.conversationId, op.seq); return
      case 'edit': await client.edit(op.messageId, op.content); return
      case 'react': await client.react(op.messageId, op.emoji)
    }
  }

  /** The server said no: a send stays as `failed` (retry or discard it); other changes are dropped. */
  private async refuse (op: QueuedOp, error: ClientError): Promise<void> {
    if (op.kind === 'send') {
      op.failed = error.message
      if (op.echo !== undefined) this.showEcho(op.echo = { ...op.echo, status: 'failed', error: error.message })
    } else {
      this.queue = this.queue.filter((o) => o !== op)
    }
    await this.persistQueue()
    for (const listener of this.failedListeners) listener(op, error)
  }
}
