/**
 * Group-commit statistics for metrics, without a dependency on them: the send batcher reports
 * each statement's batch size and what is left queued; observers (the metrics module) listen.
 * Process-wide: every app in the process reports here (one app per process in production).
 */
export type BatchObserver = (batchSize: number, queued: number) => void

const observers = new Set<BatchObserver>()

export function reportBatch (batchSize: number, queued: number): void {
  for (const fn of observers) fn(batchSize, queued)
}

/** Returns the unsubscribe function. */
export function observeBatches (fn: BatchObserver): () => void {
  observers.add(fn)
  return () => { observers.delete(fn) }
}
