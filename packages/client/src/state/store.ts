/** Called after each change; read the new state with getSnapshot(). */
export type Listener = () => void

/**
 * A value that changes over time, in the shape React's `useSyncExternalStore` takes: every
 * change makes a new frozen snapshot, so comparing snapshots by identity tells what changed.
 */
export class Store<T> {
  private readonly listeners = new Set<Listener>()

  private snapshot: T
  constructor (snapshot: T) {
    this.snapshot = snapshot
    Object.freeze(snapshot)
  }

  /** The current state; the same object until the next change. */
  readonly getSnapshot = (): T => this.snapshot

  /** Calls `listener` after each change; returns a function that stops it. */
  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  protected setSnapshot (next: T): void {
    if (next === this.snapshot) return
    this.snapshot = Object.freeze(next)
    for (const listener of [...this.listeners]) listener()
  }
}
