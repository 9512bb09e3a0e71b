import { ClientError, isTransient } from './errors.js'
import type { SendAck, SendInput } from './protocol.js'
import { backoffDelay, deferred, sleep, uuid, type BackoffOptions, type Deferred } from './util.js'

export interface OutboxDeps {
  sendTimeoutMs: number
  /** Backoff between retries the server asked for (RATE_LIMITED, INTERNAL). */
  backoff: BackoffOptions
  isOnline: () => boolean
  whenOnline: () => Promise<void>
  /** One attempt: emits message:send and resolves with the ack data. */
  emit: (payload: Record<string, unknown>) => Promise<SendAck>
  beforeSend: (conversationId: string) => void
}

interface Entry {
  payload: Record<string, unknown>
  clientMsgId: string
  result: Deferred<SendAck>
  /** Settles when the entry is finished from outside (timeout, close): stops any wait. */
  stopped: Deferred<void>
  done: boolean
  timer: ReturnType<typeof setTimeout>
}

/**
 * Messages waiting for their ack. One lane per conversation (or per recipient for
 * `toUserId` sends), one message in flight per lane: the server assigns seqs in arrival
 * order, so this keeps send order. Every attempt of a message carries the same clientMsgId,
 * so a retry after a lost ack is answered with the original instead of a second message.
 */
export class Outbox {
  private readonly lanes = new Map<string, Entry[]>()
  private readonly running = new Set<string>()

  private readonly deps: OutboxDeps
  constructor (deps: OutboxDeps) {
    this.deps = deps
  }

  get size (): number {
    let n = 0
    for (const lane of this.lanes.values()) n += lane.filter((e) => !e.done).length
    return n
  }

  push (input: SendInput): Promise<SendAck> {
    const clientMsgId = input.clientMsgId ?? uuid()
    const hasConversation = typeof input.conversationId === 'string'
    if (hasConversation === (typeof input.toUserId === 'string')) {
      return Promise.reject(new ClientError('VALIDATION', 'Give exactly one of conversationId and toUserId', undefined, clientMsgId))
    }
    const key = hasConversation ? `c:${input.conversationId!}` : `u:${input.toUserId!}`
    const payload: Record<string, unknown> = hasConversation
      ? { conversationId: input.conversationId, clientMsgId }
      : { toUserId: input.toUserId, clientMsgId }
    // A forward copies type and content from the original: the server refuses them beside forwardOf.
    if (input.forwardOf !== undefined) payload.forwardOf = input.forwardOf
    else Object.assign(payload, { type: input.type, content: input.content })
    if (input.replyTo !== undefined) payload.replyTo = input.replyTo
    if (input.mentions !== undefined) payload.mentions = input.mentions
    if (input.linkPreview !== undefined) payload.linkPreview = input.linkPreview
    if (input.threadRootId !== undefined) payload.threadRootId = input.threadRootId
    if (input.alsoInChat !== undefined) payload.alsoInChat = input.alsoInChat
    if (hasConversation) this.deps.beforeSend(input.conversationId!)

    const entry: Entry = {
      payload,
      clientMsgId,
      result: deferred<SendAck>(),
      stopped: deferred<void>(),
      done: false,
      timer: setTimeout(() => {
        this.finish(entry, new ClientError('TIMEOUT', `Message not acknowledged within ${this.deps.sendTimeoutMs} ms`, undefined, clientMsgId))
      }, this.deps.sendTimeoutMs)
    }
    let lane = this.lanes.get(key)
    if (lane === undefined) this.lanes.set(key, lane = [])
    lane.push(entry)
    void this.run(key)
    return entry.result.promise
  }

  /** Rejects everything still queued. */
  close (err: ClientError): void {
    for (const lane of this.lanes.values()) {
      for (const entry of lane) this.finish(entry, new ClientError(err.code, err.message, err.status, entry.clientMsgId))
    }
  }

  private finish (entry: Entry, outcome: SendAck | ClientError): void {
    if (entry.done) return
    entry.done = true
    clearTimeout(entry.timer)
    entry.stopped.resolve()
    if (outcome instanceof ClientError) entry.result.reject(outcome)
    else entry.result.resolve(outcome)
  }

  private async run (key: string): Promise<void> {
    if (this.running.has(key)) return
    this.running.add(key)
    try {
      for (;;) {
        const lane = this.lanes.get(key)
        const head = lane?.[0]
        if (lane === undefined || head === undefined) break
        if (!head.done) await this.deliver(head)
        lane.shift()
      }
    } finally {
      this.running.delete(key)
      if (this.lanes.get(key)?.length === 0) this.lanes.delete(key)
    }
  }

  private async deliver (entry: Entry): Promise<void> {
    let serverRetries = 0
    while (!entry.done) {
      if (!this.deps.isOnline()) {
        await Promise.race([this.deps.whenOnline(), entry.stopped.promise])
        continue
      }
      try {
        const ack = await Promise.race([this.deps.emit(entry.payload), entry.stopped.promise.then(() => undefined)])
        if (ack !== undefined) this.finish(entry, ack)
        return
      } catch (err) {
        if (entry.done) return
        const e = err instanceof ClientError ? err : new ClientError('INTERNAL', String(err))
        // Lost ack (connection dropped) or no ack in time: the same message again.
        if (e.code === 'NETWORK' || e.code === 'TIMEOUT') continue
        if (isTransient(e)) {
          // The server's own estimate when it gave one (RATE_LIMITED), else exponential backoff.
          const backoff = backoffDelay(++serverRetries, this.deps.backoff)
          await sleep(e.retryAfterMs ?? backoff, entry.stopped.promise)
          continue
        }
        this.finish(entry, new ClientError(e.code, e.message, e.status, entry.clientMsgId))
      }
    }
  }
}
