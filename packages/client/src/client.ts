import { io, type Socket } from 'socket.io-client'
import { Cursors } from './cursors.js'
import { ClientError, errorFromAck, isTransient } from './errors.js'
import { RestClient, type RestOptions } from './rest.js'
import { Outbox } from './outbox.js'
import { Typing } from './typing.js'
import { checkProtocol } from './version.js'
import { backoffDelay, deferred, sleep, type BackoffOptions, type Deferred } from './util.js'
import { SERVER_EVENTS, SYNC_MAX_CURSORS } from './protocol.js'
import type {
  Ack, AuthRefreshAck, DeliveredAck, Message, MessageContent, PollContent, PollState, ReactionsAck, Reaction, ReadAck, SendAck, SendContent, SendExtras,
  SendInput, ServerToClientEvents, SyncRequest, SyncResult, VersionInfo
} from './protocol.js'
import type { ConnectionStatus } from './types.js'

/** Options of `createClient` / `new Client`: the REST options and the socket's. */
export interface ClientOptions extends RestOptions {
  /** Per-attempt wait for a socket acknowledgement (default 10 s). */
  ackTimeoutMs?: number
  /** Overall limit for `send`, retries included (default 30 s); then it rejects with TIMEOUT. */
  sendTimeoutMs?: number
  /**
   * Reconnect backoff: exponential from baseMs up to maxMs, with jitter (default 500 ms .. 5 s,
   * socket.io-client's own range). A longer cap leaves clients asleep for long after a
   * restarted server is back (the 5,000-client storm benchmark); jitter spreads them out.
   */
  reconnect?: Partial<BackoffOptions>
  /** Engine.IO transports (default websocket first, then polling). */
  transports?: Array<'websocket' | 'polling' | 'webtransport'>
  /** Page size of catch-up `sync` requests (default: the server's). */
  syncLimit?: number
  /**
   * A live message that skips seqs (say 5 after 3) means 4 is late or was lost on its way
   * (a node or Redis failed between the commit and the fan-out). If the gap is still open
   * after this long, the SDK fetches it with `sync` (default 2 s; 0 turns it off).
   */
  gapRepairMs?: number
  /**
   * Check `GET /api/version` once before the first connection (default true): a server that
   * states an older protocol than this SDK's fails connect() with INCOMPATIBLE_SERVER.
   */
  checkProtocol?: boolean
}

/** Consecutive handshake refusals after a fresh token before the SDK gives up. */
const MAX_AUTH_FAILURES = 3

/**
 * The realtime client: one socket.io connection with status events, token refresh,
 * an ordered outbox for messages and catch-up of what was missed while offline.
 */
export class Client extends RestClient {
  /** The underlying socket.io-client socket (created once, reconnected as needed). */
  readonly socket: Socket
  private _status: ConnectionStatus = 'offline'
  /** The app wants to be connected (connect() called, no disconnect(), no kick). */
  private wanted = false
  private everOnline = false
  private closed = false
  private retryAttempt = 0
  private connectWaiter: Deferred<void> | undefined
  private onlineWaiters: Array<() => void> = []
  /** The token the last handshake carried: tells a stale token from a refused fresh one. */
  private handshakeToken: string | undefined
  private authFailures = 0
  /** Set between auth:expired and the next successful connect: a server cut is expected. */
  private expiring = false
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private readonly cursors = new Cursors()
  /** Per conversation, every change (`rev`) up to here was delivered (v2). */
  private readonly revCursors = new Cursors()
  /** Where catch-up of new memberships resumes (`SyncResult.membershipsToken`). */
  private membershipsToken: string | undefined
  /** Live message:new held back while a catch-up runs, released in seq order after it. */
  private held: Message[] | undefined
  /** Live message:updated held back likewise, released in rev order. */
  private heldUpdates: Message[] | undefined
  private syncRun = 0
  private readonly outbox: Outbox
  private readonly typingState: Typing
  readonly ackTimeoutMs: number
  readonly sendTimeoutMs: number
  readonly backoff: BackoffOptions
  private readonly syncLimit: number | undefined
  private readonly gapRepairMs: number
  private readonly gapTimers = new Map<string, ReturnType<typeof setTimeout>>()
  /** The protocol check still to do before the first connection. */
  private protocolUnchecked: boolean
  private checkedVersion: VersionInfo | undefined

  constructor (opts: ClientOptions) {
    super(opts)
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 10_000
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 30_000
    this.backoff = { baseMs: opts.reconnect?.baseMs ?? 500, maxMs: opts.reconnect?.maxMs ?? 5000 }
    this.syncLimit = opts.syncLimit
    this.gapRepairMs = opts.gapRepairMs ?? 2000
    this.protocolUnchecked = opts.checkProtocol ?? true
    this.socket = io(this.url === '' ? undefined as unknown as string : this.url, {
      path: '/socket.io',
      autoConnect: false,
      forceNew: true,
      transports: opts.transports ?? ['websocket', 'polling'],
      reconnection: true,
      reconnectionDelay: this.backoff.baseMs,
      reconnectionDelayMax: this.backoff.maxMs,
      randomizationFactor: 0.5,
      // A function, so every (re)connection carries the newest token.
      auth: (cb) => {
        this.handshakeToken = this.accessToken
        cb({ token: this.botToken !== undefined ? `Bot ${this.botToken}` : this.accessToken ?? '' })
      }
    })
    this.outbox = new Outbox({
      sendTimeoutMs: this.sendTimeoutMs,
      backoff: { baseMs: Math.min(200, this.backoff.baseMs), maxMs: this.backoff.maxMs },
      isOnline: () => this.socket.connected,
      whenOnline: () => this.whenOnline(),
      emit: async (payload) => checkSendAck(await this.emitAck<SendAck>('message:send', payload), payload.clientMsgId),
      beforeSend: (conversationId) => { this.typingState.stop(conversationId) }
    })
    this.typingState = new Typing((conversationId, typing) => {
      if (this.socket.connected) void this.emitAck('typing', { conversationId, typing }).catch(() => {})
    })
    this.wire()
  }

  /** 'offline' | 'connecting' | 'online' | 'reconnecting' */
  get status (): ConnectionStatus { return this._status }

  /** Messages accepted by send() and not yet acknowledged. */
  get pending (): number { return this.outbox.size }

  /**
   * What the server said of itself (`GET /api/version`: protocol, server, recallWindowS) when
   * `connect()` checked its protocol; undefined before that, or with `checkProtocol: false`.
   * Read it instead of calling `version()` again.
   */
  get serverInfo (): VersionInfo | undefined { return this.checkedVersion }

  private setStatus (status: ConnectionStatus): void {
    if (status === this._status) return
    this._status = status
    if (status === 'online') {
      const waiters = this.onlineWaiters
      this.onlineWaiters = []
      for (const w of waiters) w()
    }
    this.emit('status', status)
  }

  private whenOnline (): Promise<void> {
    if (this.socket.connected && this._status === 'online') return Promise.resolve()
    return new Promise((resolve) => { this.onlineWaiters.push(resolve) })
  }

  // ------------------------------------------------------------ connection lifecycle

  /**
   * Connects (signing in or refreshing first when needed). Resolves once online; rejects
   * when the session cannot be established (UNAUTHORIZED) or disconnect() is called first.
   * While the server is unreachable it keeps trying (see `status`).
   */
  connect (): Promise<void> {
    if (this.closed) return Promise.reject(new ClientError('CLOSED', 'The client was closed'))
    if (this.socket.connected && this.wanted) return Promise.resolve()
    this.wanted = true
    this.authFailures = 0
    if (this.connectWaiter === undefined) {
      this.connectWaiter = deferred<void>()
      // Marked handled: an app may rely on `status` and never await connect().
      this.connectWaiter.promise.catch(() => {})
    }
    const waiter = this.connectWaiter
    this.setStatus(this.everOnline ? 'reconnecting' : 'connecting')
    void this.open()
    return waiter.promise
  }

  private async open (): Promise<void> {
    try {
      if (this.protocolUnchecked) {
        this.checkedVersion = await checkProtocol(() => this.version())
        this.protocolUnchecked = false
      }
      if (this.accessToken === undefined && this.botToken === undefined) await this.renewTokens()
      if (this.wanted && !this.socket.connected) this.socket.connect()
    } catch (err) {
      if (!this.wanted) return // disconnect() meanwhile: connect() was rejected there
      if (!isTransient(err)) return this.giveUp(err)
      // The server is unreachable or failing before the socket even tried: same status as
      // the socket's own retries.
      if (this.wanted) this.setStatus('reconnecting')
      this.retryLater(() => this.open())
    }
  }

  /** Closes the connection for good: no reconnect until connect() is called again. */
  disconnect (): void {
    this.wanted = false
    this.expiring = false
    clearTimeout(this.retryTimer)
    for (const timer of this.gapTimers.values()) clearTimeout(timer)
    this.gapTimers.clear()
    this.typingState.clear()
    this.socket.disconnect()
    this.setStatus('offline')
    this.connectWaiter?.reject(new ClientError('CLOSED', 'disconnect() was called'))
    this.connectWaiter = undefined
  }

  /** For good: disconnect() and reject every message still in the outbox (code CLOSED). */
  close (): void {
    this.closed = true
    this.closeCrossTab()
    this.disconnect()
    this.outbox.close(new ClientError('CLOSED', 'The client was closed'))
  }

  /** Signs out on the server and disconnects. */
  override async logout (): Promise<void> {
    this.disconnect()
    await super.logout()
  }

  private giveUp (err: unknown): void {
    const error = err instanceof Error ? err : new ClientError('INTERNAL', String(err))
    this.wanted = false
    clearTimeout(this.retryTimer)
    this.socket.disconnect()
    this.setStatus('offline')
    this.connectWaiter?.reject(error)
    this.connectWaiter = undefined
    this.emit('error', error)
  }

  private retryLater (fn: () => Promise<void> | void): void {
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => { if (this.wanted) void fn() }, backoffDelay(++this.retryAttempt, this.backoff))
  }

  private wire (): void {
    const s = this.socket
    s.on('connect', () => {
      this.everOnline = true
      this.expiring = false
      this.authFailures = 0
      this.retryAttempt = 0
      this.setStatus('online')
      this.connectWaiter?.resolve()
      this.connectWaiter = undefined
      // Always: a device without cursors still has memberships to catch up, and apps wait for `synced`.
      void this.catchUp()
    })

    s.on('disconnect', (reason) => {
      this.typingState.clear()
      if (reason === 'io client disconnect') {
        // Ours: disconnect() (status already offline) or a deliberate reconnect after a refresh.
        if (this.wanted) this.setStatus('reconnecting')
        this.emit('disconnect', { reason, reconnecting: this.wanted })
        return
      }
      if (reason === 'io server disconnect' && !this.expiring) {
        // A kick (logout everywhere, deleted account): coming back would be wrong.
        this.wanted = false
        this.setStatus('offline')
        this.emit('disconnect', { reason, reconnecting: false })
        return
      }
      this.setStatus('reconnecting')
      this.emit('disconnect', { reason, reconnecting: true })
      // After a server cut socket.io does not come back by itself; a refresh in flight will.
      if (!s.active && !this.expiring && this.wanted) s.connect()
    })

    s.on('connect_error', (err) => {
      if (s.active) return // a transport failure: socket.io's own backoff retries
      if (err.message === 'UNAUTHORIZED') {
        void this.recoverAuth(this.handshakeToken)
        return
      }
      // Another refusal by a middleware: retry with our backoff.
      this.retryLater(() => { if (!s.connected) s.connect() })
    })

    s.io.on('reconnect_attempt', () => {
      if (this.wanted) this.setStatus('reconnecting')
    })

    s.on('auth:expired', (payload: ServerToClientEvents['auth:expired']) => {
      this.emit('auth:expired', payload)
      void this.onExpired()
    })

    for (const event of SERVER_EVENTS) {
      if (event === 'message:new' || event === 'message:updated' || event === 'auth:expired' || event === 'thread:updated') continue
      s.on(event, (payload: any) => { this.emit(event, payload) })
    }
    s.on('message:new', (m: Message) => { this.onMessage(m) })
    s.on('message:updated', (m: Message) => { this.onUpdated(m) })
    // The root's new rev is a change too: the rev position passes over it (no false gap).
    s.on('thread:updated', (e: ServerToClientEvents['thread:updated']) => {
      this.revCursors.accept({ conversationId: e.conversationId, seq: e.rev })
      this.emit('thread:updated', e)
      this.watchGap(e.conversationId)
    })
  }

  /** The handshake was refused: refresh (unless a newer token already exists) and retry. */
  private async recoverAuth (used: string | undefined): Promise<void> {
    if (!this.wanted) return
    const fresher = used !== this.accessToken // e.g. setTokens() or a REST refresh meanwhile
    if (++this.authFailures > MAX_AUTH_FAILURES || (!fresher && !this.canRenew())) {
      this.giveUp(new ClientError('UNAUTHORIZED', 'The server refused the access token', 401))
      return
    }
    this.setStatus(this.everOnline ? 'reconnecting' : 'connecting')
    try {
      if (!fresher) await this.renewTokens()
      if (this.wanted && !this.socket.connected) this.socket.connect()
    } catch (err) {
      if (isTransient(err)) {
        this.authFailures--
        this.retryLater(() => this.recoverAuth(used))
      } else {
        this.giveUp(err)
      }
    }
  }

  /**
   * The server says the access token expired and will cut the socket: refresh, hand the new
   * token to the live socket (`auth:refresh`), or reconnect with it if that is not possible.
   */
  private async onExpired (): Promise<void> {
    this.expiring = true
    const used = this.handshakeToken
    try {
      if (used === this.accessToken) await this.renewTokens()
    } catch (err) {
      this.expiring = false
      if (isTransient(err)) this.retryLater(() => this.recoverAuth(used))
      else this.giveUp(err)
      return
    }
    if (!this.wanted) return
    if (this.socket.connected) {
      try {
        await this.emitAck<AuthRefreshAck>('auth:refresh', { token: this.accessToken })
        this.handshakeToken = this.accessToken
        this.expiring = false
        return
      } catch {}
      if (!this.wanted) return
      if (this.socket.connected) this.socket.disconnect()
    }
    // Reconnect with the new token (socket.io may already be on it after a transport close).
    if (!this.socket.active) this.socket.connect()
  }

  // ------------------------------------------------------------ requests

  /**
   * Emits a client -> server event and waits for its ack (ackTimeoutMs). Rejects with the
   * ack's error code, TIMEOUT, or NETWORK when the socket is not connected or drops first.
   */
  emitAck<T> (event: string, payload: unknown, timeoutMs = this.ackTimeoutMs): Promise<T> {
    return new Promise((resolve, reject) => {
      if (!this.socket.connected) {
        reject(new ClientError('NETWORK', 'Not connected'))
        return
      }
      this.socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack: Ack<T> | undefined) => {
        if (err !== null && err !== undefined) {
          reject(err.message === 'operation has timed out'
            ? new ClientError('TIMEOUT', `${event}: no acknowledgement within ${timeoutMs} ms`)
            : new ClientError('NETWORK', `${event}: ${err.message}`))
        } else if (ack?.ok === true) {
          resolve(ack.data)
        } else {
          reject(errorFromAck(ack?.ok === false ? ack.error : undefined))
        }
      })
    })
  }

  /** Waits (up to ackTimeoutMs) for the connection, then emitAck. */
  private async call<T> (event: string, payload: unknown): Promise<T> {
    if (!this.socket.connected) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new ClientError('TIMEOUT', `${event}: not connected within ${this.ackTimeoutMs} ms`)) }, this.ackTimeoutMs)
      })
      try {
        await Promise.race([this.whenOnline(), timeout])
      } finally {
        clearTimeout(timer)
      }
    }
    return await this.emitAck<T>(event, payload)
  }

  /**
   * Sends a message. Queued while offline and sent in order per conversation; retried with
   * the same clientMsgId (the server deduplicates) until acknowledged or sendTimeoutMs.
   */
  send (input: SendInput): Promise<SendAck> {
    if (this.closed) return Promise.reject(new ClientError('CLOSED', 'The client was closed', undefined, input.clientMsgId))
    return this.outbox.push(input)
  }

  /** Marks everything up to seq as read (socket when online, REST otherwise). */
  async markRead (conversationId: string, seq: number): Promise<ReadAck> {
    if (!this.socket.connected) return await this.markReadRest(conversationId, seq)
    return await this.emitAck<ReadAck>('message:read', { conversationId, seq })
  }

  /** Marks everything up to seq as delivered to this user. */
  async markDelivered (conversationId: string, seq: number): Promise<DeliveredAck> {
    return await this.call<DeliveredAck>('message:delivered', { conversationId, seq })
  }

  /** Recalls one of my messages (within the server's RECALL_WINDOW_S); every member gets `message:updated`. */
  async recall (messageId: string): Promise<void> {
    await this.call('message:recall', { messageId })
  }

  /** Edits one of your own text or custom messages; every member gets `message:updated`. */
  async edit (messageId: string, content: MessageContent): Promise<Message> {
    return await this.call<Message>('message:edit', { messageId, content })
  }

  /** Adds your reaction (one emoji); adding it twice is a no-op. Resolves with the message's reactions. */
  async react (messageId: string, emoji: string): Promise<Reaction[]> {
    return (await this.call<ReactionsAck>('reaction:add', { messageId, emoji })).reactions
  }

  /** Removes your reaction; removing an absent one is a no-op. */
  async unreact (messageId: string, emoji: string): Promise<Reaction[]> {
    return (await this.call<ReactionsAck>('reaction:remove', { messageId, emoji })).reactions
  }

  /** Pins a message (groups: owner and admins). Resolves with the message. */
  async pin (messageId: string): Promise<Message> {
    return await this.call<Message>('message:pin', { messageId, pinned: true })
  }

  /** Unpins a message (groups: owner and admins). Resolves with the message. */
  async unpin (messageId: string): Promise<Message> {
    return await this.call<Message>('message:pin', { messageId, pinned: false })
  }

  /** Sends a poll (2-10 options; single choice and public unless said); `send` with type 'poll'. */
  sendPoll (conversationId: string, poll: PollContent, extras: SendExtras & { clientMsgId?: string } = {}): Promise<SendAck> {
    return this.send({ conversationId, ...extras, type: 'poll', content: poll })
  }

  /** Votes, or changes your vote, in a poll: option indexes (one in a single-choice poll). Resolves with the results and your choice. */
  async vote (messageId: string, optionIndexes: number[]): Promise<PollState> {
    return await this.call<PollState>('poll:vote', { messageId, optionIndexes })
  }

  /** Takes back the caller's votes in a poll (a vote for no option); answers the poll's new state. */
  async retractVote (messageId: string): Promise<PollState> {
    return await this.call<PollState>('poll:vote', { messageId, optionIndexes: [] })
  }

  /** Closes a poll (its creator, or a group's or channel's owner or admin); nobody can vote after. */
  async closePoll (messageId: string): Promise<Message> {
    return await this.call<Message>('poll:close', { messageId })
  }

  /**
   * Removes the link preview of one of your own messages (others: FORBIDDEN); it stays removed.
   * Every member gets `message:updated` without it. To send without one, give
   * `linkPreview: false` to `send`. Previews arrive as `message:updated` (`message.linkPreview`).
   */
  async removeLinkPreview (messageId: string): Promise<Message> {
    return await this.call<Message>('message:link-preview:remove', { messageId })
  }

  /** A poll's results and your own choice (the only way to see it again in an anonymous poll). */
  async pollOf (messageId: string): Promise<PollState> {
    return await this.request<PollState>('GET', `/messages/${encodeURIComponent(messageId)}/poll`)
  }

  /**
   * Replies in the thread of `root` (a reply names its thread's root: threads are one level
   * deep); with `alsoInChat` it also shows in the chat. Queued and retried as `send`.
   */
  replyInThread (root: { id: string, conversationId: string }, message: SendContent & { alsoInChat?: boolean, mentions?: string[], clientMsgId?: string }): Promise<SendAck> {
    return this.send({ ...message, conversationId: root.conversationId, threadRootId: root.id } as SendInput)
  }

  /** Relays an app-defined signal (e.g. call setup) to the user's devices; nothing is stored. */
  async signal (toUserId: string, name: string, payload: unknown): Promise<void> {
    await this.call('signal', { toUserId, name, payload })
  }

  /**
   * Call on each keystroke: emits typing:true at most every 2 s, and typing:false after 3 s
   * without a call, on stopTyping() or when a message is sent to the conversation.
   */
  typing (conversationId: string): void {
    this.typingState.touch(conversationId)
  }

  /** Sends typing:false now (if typing:true was sent). */
  stopTyping (conversationId: string): void {
    this.typingState.stop(conversationId)
  }

  // ------------------------------------------------------------ cursors and catch-up

  /** Seeds a conversation's position (from storage): catch-up asks for what came after seq. */
  setCursor (conversationId: string, seq: number): void {
    this.cursors.set(conversationId, seq)
  }

  /** Every conversation's position (all seqs up to it were delivered): persist these. */
  getCursors (): Record<string, number> {
    return this.cursors.snapshot()
  }

  /** Seeds a conversation's change position (from storage): catch-up reports changes after rev. */
  setRevCursor (conversationId: string, rev: number): void {
    this.revCursors.set(conversationId, rev)
  }

  /**
   * Every conversation's change position (all changes up to it were delivered as
   * `message:updated`): persist these beside `getCursors()`. Without a stored one, catch-up
   * starts from the conversation's current rev (older changes are history).
   */
  getRevCursors (): Record<string, number> {
    return this.revCursors.snapshot()
  }

  /** Seeds where catch-up of new memberships resumes (from storage, beside the cursors). */
  setMembershipsToken (token: string): void {
    this.membershipsToken = token
  }

  /**
   * Where catch-up of new memberships resumes: persist it beside `getCursors()`. Without one,
   * catch-up treats every conversation without a cursor as new (its messages from the start).
   */
  getMembershipsToken (): string | undefined {
    return this.membershipsToken
  }

  private onMessage (m: Message): void {
    if (this.held !== undefined) {
      this.held.push(m)
      return
    }
    if (this.cursors.accept(m)) {
      this.acceptRev(m)
      this.emit('message:new', m)
      this.watchGap(m.conversationId)
    }
  }

  /** A creation is a change too: it takes a rev, so the rev position passes over it. */
  private acceptRev (m: Message): boolean {
    return typeof m.rev !== 'number' || this.revCursors.accept({ conversationId: m.conversationId, seq: m.rev })
  }

  private onUpdated (m: Message): void {
    if (this.heldUpdates !== undefined) {
      this.heldUpdates.push(m)
      return
    }
    if (this.acceptRev(m)) {
      this.emit('message:updated', m)
      this.watchGap(m.conversationId)
    }
  }

  /** A seq or a rev skipped (a message or a change lost on its way, or still racing). */
  private hasGap (conversationId: string): boolean {
    return this.cursors.hasGap(conversationId) || this.revCursors.hasGap(conversationId)
  }

  private positions (conversationId: string): string {
    return `${this.cursors.position(conversationId) ?? ''}:${this.revCursors.position(conversationId) ?? ''}`
  }

  /** Fetches a gap in a conversation's seqs (or revs) that live delivery has not filled in time. */
  private watchGap (conversationId: string): void {
    if (this.gapRepairMs <= 0 || this.gapTimers.has(conversationId) || !this.hasGap(conversationId)) return
    const position = this.positions(conversationId)
    this.gapTimers.set(conversationId, setTimeout(() => {
      this.gapTimers.delete(conversationId)
      if (!this.hasGap(conversationId)) return
      // Still moving (messages racing each other): look again later.
      if (this.positions(conversationId) !== position) { this.watchGap(conversationId); return }
      // A full catch-up is running, or will run on reconnect.
      if (this.held !== undefined || !this.socket.connected) return
      this.syncChunk([conversationId], this.syncRun).then(
        () => { this.watchGap(conversationId) },
        (err: unknown) => { this.emit('error', err instanceof Error ? err : new Error(String(err))) }
      )
    }, this.gapRepairMs))
  }

  /**
   * After (re)connecting: page through `sync` (at most SYNC_MAX_CURSORS conversations per
   * request, as the server allows), deliver what was missed, then what arrived meanwhile.
   */
  private async catchUp (): Promise<void> {
    const run = ++this.syncRun
    this.held ??= []
    this.heldUpdates ??= []
    let delivered = 0
    let complete = false
    try {
      const joined = await this.syncMemberships(run)
      if (joined === undefined) return
      delivered += joined
      const ids = Object.keys(this.cursors.snapshot())
      for (let i = 0; i < ids.length && run === this.syncRun; i += SYNC_MAX_CURSORS) {
        const chunk = ids.slice(i, i + SYNC_MAX_CURSORS)
        const n = await this.syncChunk(chunk, run)
        if (n === undefined) return
        delivered += n
      }
      complete = run === this.syncRun
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)))
    } finally {
      if (run === this.syncRun) {
        const held = this.held ?? []
        const heldUpdates = this.heldUpdates ?? []
        this.held = undefined
        this.heldUpdates = undefined
        for (const m of sortBySeq(held)) this.onMessage(m)
        for (const m of heldUpdates.sort((a, b) => a.rev - b.rev)) this.onUpdated(m)
        if (complete) this.emit('synced', { messages: delivered })
      }
    }
  }

  /**
   * The conversations joined since the memberships token: `conversation:updated` for each one
   * new to this device, then their messages (the rest of them comes with the cursors after);
   * undefined when cut short.
   */
  private async syncMemberships (run: number): Promise<number | undefined> {
    let delivered = 0
    for (;;) {
      // Known conversations are listed (as many as one request may name) so the server leaves
      // them out of `joined`; their missed messages come along.
      const cursors = Object.fromEntries(Object.entries(this.cursors.snapshot()).slice(0, SYNC_MAX_CURSORS))
      const request: SyncRequest = { cursors, membershipsSince: this.membershipsToken ?? null }
      if (this.syncLimit !== undefined) request.limit = this.syncLimit
      const page = await this.syncRequest(request, run)
      if (page === undefined) return undefined
      const before = this.membershipsToken
      const joined = page.joined ?? []
      const fresh = new Set<string>()
      for (const c of joined) {
        if (this.cursors.position(c.id) !== undefined) continue
        fresh.add(c.id)
        this.cursors.set(c.id, 0)
        this.emit('conversation:updated', c)
      }
      delivered += this.deliverSynced(page.messages)
      for (const id of fresh) {
        const rev = page.revs?.[id]
        if (rev !== undefined) this.revCursors.advance(id, rev)
      }
      if (page.membershipsToken !== undefined) this.membershipsToken = page.membershipsToken
      if (!page.hasMore || joined.length === 0 || this.membershipsToken === before) return delivered
    }
  }

  /** One `sync` request, retried while the failure is transient; undefined when the run was cut short. */
  private async syncRequest (request: SyncRequest, run: number): Promise<SyncResult | undefined> {
    for (let attempt = 1; ;) {
      if (!this.socket.connected || run !== this.syncRun) return undefined
      try {
        const page = await this.emitAck<SyncResult>('sync', request)
        return run === this.syncRun ? page : undefined
      } catch (err) {
        if (!isTransient(err) || attempt++ >= 5) throw err
        await sleep(backoffDelay(attempt, this.backoff))
      }
    }
  }

  /** Emits the messages of a sync page not seen yet, in seq order; how many. */
  private deliverSynced (messages: Message[]): number {
    let delivered = 0
    for (const m of sortBySeq(messages)) {
      if (this.cursors.acceptSynced(m)) {
        delivered++
        this.acceptRev(m)
        this.emit('message:new', m)
      }
    }
    return delivered
  }

  /** Pages one set of conversations until hasMore is false; undefined when cut short. */
  private async syncChunk (ids: string[], run: number): Promise<number | undefined> {
    let delivered = 0
    for (let attempt = 1; ;) {
      if (!this.socket.connected || run !== this.syncRun) return undefined
      const all = this.cursors.snapshot()
      const allRevs = this.revCursors.snapshot()
      const cursors: Record<string, number> = {}
      // A conversation without a rev position is left out: the ack gives its current rev.
      const revs: Record<string, number> = {}
      for (const id of ids) {
        cursors[id] = all[id] ?? 0
        if (allRevs[id] !== undefined) revs[id] = allRevs[id]
      }
      const request: SyncRequest = { cursors, revs, threads: true }
      if (this.syncLimit !== undefined) request.limit = this.syncLimit
      let page: SyncResult
      try {
        page = await this.emitAck<SyncResult>('sync', request)
      } catch (err) {
        if (!isTransient(err) || attempt++ >= 5) throw err
        await sleep(backoffDelay(attempt, this.backoff))
        continue
      }
      if (run !== this.syncRun) return undefined
      let moved = false
      for (const m of sortBySeq(page.messages)) {
        if (m.seq > (cursors[m.conversationId] ?? 0)) moved = true
        if (this.cursors.acceptSynced(m)) {
          delivered++
          this.acceptRev(m)
          this.emit('message:new', m)
        }
      }
      // Changes to messages this device already had, oldest change first.
      for (const m of page.updated ?? []) {
        if (m.rev > (revs[m.conversationId] ?? 0)) moved = true
        if (this.acceptRev(m)) this.emit('message:updated', m)
      }
      // My state of threads that changed for me since the revs (docs/protocol.md, "Threads").
      for (const state of page.threads ?? []) this.emit('thread:state', state)
      // The server read everything up to these revs: a change not returned cannot arrive.
      for (const [id, rev] of Object.entries(page.revs ?? {})) this.revCursors.advance(id, rev)
      // A page that moved no cursor would be asked for again forever.
      if (!page.hasMore || !moved) return delivered
    }
  }
}

/** Seq order within each conversation; conversations keep the order they first appear in. */
function sortBySeq (messages: Message[]): Message[] {
  const rank = new Map<string, number>()
  for (const m of messages) if (!rank.has(m.conversationId)) rank.set(m.conversationId, rank.size)
  return [...messages].sort((a, b) => (rank.get(a.conversationId)! - rank.get(b.conversationId)!) || a.seq - b.seq)
}

/**
 * A send ack that is not the contract's (a broken proxy or server) is INTERNAL, so the outbox
 * retries it with the same clientMsgId (the server deduplicates) until sendTimeoutMs.
 */
function checkSendAck (ack: SendAck, clientMsgId: unknown): SendAck {
  const ok = typeof ack === 'object' && ack !== null && typeof ack.id === 'string' && typeof ack.conversationId === 'string' &&
    Number.isInteger(ack.seq) && ack.clientMsgId === clientMsgId
  if (!ok) throw new ClientError('INTERNAL', 'message:send: malformed acknowledgement', undefined, typeof clientMsgId === 'string' ? clientMsgId : undefined)
  return ack
}
