import type { MessageView } from '../conversations/index.js'

export interface CoalescedUpdatesOptions<A> {
  /** The window: at most one delivery per message per this many ms. */
  windowMs: number
  /** The message as served now, for a delivery at the end of a window. */
  read: (messageId: string) => Promise<MessageView | undefined>
  deliver: (message: MessageView, audience: A) => void
  /** A failed read at the end of a window (the next change delivers again). */
  onError?: (err: unknown) => void
}

interface Window<A> { timer: NodeJS.Timeout, dirty: A | undefined, reading: boolean }

/**
 * Coalesced `message:updated` for changes that come in bursts (reactions at live-event rates):
 * the first change of a message is delivered at once and opens a window; changes during the
 * window only mark it dirty (the latest audience kept), and when it closes the message is read
 * again and delivered once in its current state, which opens the next window. Members thus get
 * at most one update per message per window, always the latest state; nothing is lost, since
 * the last delivery of a burst is read after its last change committed.
 */
export function createCoalescedUpdates<A> (opts: CoalescedUpdatesOptions<A>) {
  const open = new Map<string, Window<A>>()

  function close (messageId: string): void {
    const w = open.get(messageId)
    if (w === undefined) return
    const audience = w.dirty
    if (audience === undefined) {
      open.delete(messageId)
      return
    }
    w.dirty = undefined
    w.reading = true
    void opts.read(messageId).then((message) => {
      if (message !== undefined) opts.deliver(message, audience)
    }, (err: unknown) => { opts.onError?.(err) }).finally(() => {
      w.reading = false
      w.timer = later(messageId)
    })
  }

  const later = (messageId: string): NodeJS.Timeout => setTimeout(() => { close(messageId) }, opts.windowMs).unref()

  return {
    /** A change of `messageId` committed; `message` was read after it. */
    changed (messageId: string, message: MessageView, audience: A): void {
      const w = open.get(messageId)
      if (w !== undefined) {
        w.dirty = audience
        return
      }
      opts.deliver(message, audience)
      open.set(messageId, { timer: later(messageId), dirty: undefined, reading: false })
    },
    /** Deliveries owed (a window marked dirty, or its read under way): 0 when every change has gone out. */
    pending: (): number => {
      let n = 0
      for (const w of open.values()) if (w.dirty !== undefined || w.reading) n++
      return n
    },
    /** Drops every window (app close): nothing is delivered after it. */
    close: (): void => {
      for (const w of open.values()) clearTimeout(w.timer)
      open.clear()
    }
  }
}
