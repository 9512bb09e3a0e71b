/** A minimal typed event emitter (Node's `events` is not available in browsers). */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: any) => void>>()

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events> (event: E, fn: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event)
    if (set === undefined) this.listeners.set(event, set = new Set())
    set.add(fn)
    return () => { this.off(event, fn) }
  }

  /** Adds a listener for the next event only; returns a function that removes it. */
  once<E extends keyof Events> (event: E, fn: (payload: Events[E]) => void): () => void {
    const off = this.on(event, (payload) => { off(); fn(payload) })
    return off
  }

  /** Removes a listener, or every listener of the event when `fn` is absent. */
  off<E extends keyof Events> (event: E, fn?: (payload: Events[E]) => void): void {
    if (fn === undefined) this.listeners.delete(event)
    else this.listeners.get(event)?.delete(fn)
  }

  /** Calls every listener; one that throws does not stop the others or the SDK. */
  protected emit<E extends keyof Events> (event: E, payload: Events[E]): void {
    const set = this.listeners.get(event)
    if (set === undefined) return
    for (const fn of [...set]) {
      try {
        fn(payload)
      } catch (err) {
        setTimeout(() => { throw err }, 0)
      }
    }
  }

  protected listenerCount (event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0
  }
}
