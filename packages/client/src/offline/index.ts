export { MemoryStorage, type StorageAdapter } from './storage.js'
export { IndexedDbStorage } from './indexeddb-storage.js'
export { OfflineClient, type OfflineOptions } from './offline-client.js'
export type { QueuedOp, StoredCursors } from './outbox-ops.js'
