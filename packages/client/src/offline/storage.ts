/**
 * Where the offline layer keeps its state between runs: tokens, cursors, the outbox and
 * recent messages, as JSON values under string keys. Every method may be async, so an
 * adapter can sit on IndexedDB, a file, AsyncStorage or SQLite.
 */
export interface StorageAdapter {
  get: <T = unknown>(key: string) => Promise<T | undefined>
  set: (key: string, value: unknown) => Promise<void>
  delete: (key: string) => Promise<void>
  /** Every key starting with `prefix`. */
  keys: (prefix: string) => Promise<string[]>
}

/** Keeps everything in memory (tests, or an app that only wants the local echo). */
export class MemoryStorage implements StorageAdapter {
  private readonly data = new Map<string, string>()

  async get<T = unknown> (key: string): Promise<T | undefined> {
    const raw = this.data.get(key)
    return raw === undefined ? undefined : JSON.parse(raw) as T
  }

  async set (key: string, value: unknown): Promise<void> {
    // Stored as JSON, like the other adapters: a caller's later mutation does not leak in.
    this.data.set(key, JSON.stringify(value))
  }

  async delete (key: string): Promise<void> {
    this.data.delete(key)
  }

  async keys (prefix: string): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix))
  }
}
