/**
 * Where the offline layer keeps its state between runs: tokens, cursors, the outbox and
 * recent messages, as JSON values under string keys. Every method may be async, so an
 * adapter can sit on IndexedDB, a file, AsyncStorage or SQLite.
 */
export interface StorageAdapter {
  /** The value stored under `key`, or undefined. */
  get: <T = unknown>(key: string) => Promise<T | undefined>
  /** Stores a JSON value under `key`, replacing any. */
  set: (key: string, value: unknown) => Promise<void>
  /** Removes `key` (absent: nothing happens). */
  delete: (key: string) => Promise<void>
  /** Every key starting with `prefix`. */
  keys: (prefix: string) => Promise<string[]>
}

/** Keeps everything in memory (tests, or an app that only wants the local echo). */
export class MemoryStorage implements StorageAdapter {
  private readonly data = new Map<string, string>()

  /** The value stored under `key`, or undefined. */
  async get<T = unknown> (key: string): Promise<T | undefined> {
    const raw = this.data.get(key)
    return raw === undefined ? undefined : JSON.parse(raw) as T
  }

  /** Stores a JSON value under `key`, replacing any. */
  async set (key: string, value: unknown): Promise<void> {
    // Stored as JSON, like the other adapters: a caller's later mutation does not leak in.
    this.data.set(key, JSON.stringify(value))
  }

  /** Removes `key` (absent: nothing happens). */
  async delete (key: string): Promise<void> {
    this.data.delete(key)
  }

  async keys (prefix: string): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix))
  }
}
