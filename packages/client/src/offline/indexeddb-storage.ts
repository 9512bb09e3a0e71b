import type { StorageAdapter } from './storage.js'

/** The few IndexedDB shapes used here (the package's declarations carry no DOM types). */
interface Request<T> { result: T, error: unknown, onsuccess: (() => void) | null, onerror: (() => void) | null }
interface ObjectStore {
  get: (key: string) => Request<unknown>
  put: (value: unknown, key: string) => Request<unknown>
  delete: (key: string) => Request<unknown>
  getAllKeys: () => Request<unknown[]>
}
interface Database {
  transaction: (store: string, mode: 'readonly' | 'readwrite') => { objectStore: (name: string) => ObjectStore }
  createObjectStore: (name: string) => unknown
  objectStoreNames: { contains: (name: string) => boolean }
  close: () => void
}
interface Factory { open: (name: string, version: number) => Request<Database> & { onupgradeneeded: (() => void) | null } }

const STORE = 'kv'

function done<T> (request: Request<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => { resolve(request.result) }
    request.onerror = () => { reject(request.error) }
  })
}

/**
 * Keeps the offline state in the browser's IndexedDB: one database (`name`, default
 * `relay-im`) with one key-value store. Values are stored as JSON text.
 */
export class IndexedDbStorage implements StorageAdapter {
  private readonly db: Promise<Database>

  constructor (name = 'relay-im', factory: unknown = (globalThis as { indexedDB?: unknown }).indexedDB) {
    if (factory === undefined) throw new TypeError('IndexedDB is not available in this runtime')
    const request = (factory as Factory).open(name, 1)
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE)
    }
    this.db = done(request)
  }

  private async store (mode: 'readonly' | 'readwrite'): Promise<ObjectStore> {
    return (await this.db).transaction(STORE, mode).objectStore(STORE)
  }

  /** The value stored under `key`, or undefined. */
  async get<T = unknown> (key: string): Promise<T | undefined> {
    const raw = await done((await this.store('readonly')).get(key))
    return typeof raw === 'string' ? JSON.parse(raw) as T : undefined
  }

  /** Stores a JSON value under `key`, replacing any. */
  async set (key: string, value: unknown): Promise<void> {
    await done((await this.store('readwrite')).put(JSON.stringify(value), key))
  }

  /** Removes `key` (absent: nothing happens). */
  async delete (key: string): Promise<void> {
    await done((await this.store('readwrite')).delete(key))
  }

  async keys (prefix: string): Promise<string[]> {
    const all = await done((await this.store('readonly')).getAllKeys())
    return all.filter((k): k is string => typeof k === 'string' && k.startsWith(prefix))
  }

  /** Closes the database connection. */
  async close (): Promise<void> {
    (await this.db).close()
  }
}
