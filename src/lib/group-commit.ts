import { rateLimited } from './errors.js'

export interface GroupCommitOptions<T, R> {
  /** Writes one batch and returns one result per item, in order; a throw rejects every item of the batch. */
  commit: (batch: T[]) => Promise<R[]>
  /** Batches in flight at once. */
  concurrency: number
  /** Upper bound on items in one batch. */
  maxBatch?: number
  /** Items waiting beyond this are refused with RATE_LIMITED at once instead of queueing. */
  maxQueued?: number
  /** The RATE_LIMITED message. */
  busyMessage?: string
  /**
   * Items with the same key are never in two batches in flight at once, so they are
   * committed in the order they were submitted (e.g. one conversation's messages).
   */
  keyOf?: (item: T) => string
  /** Told of each batch as it starts: its size and how many items are left waiting (metrics). */
  onBatch?: (batchSize: number, queued: number) => void
}

interface Waiting<T, R> { item: T, resolve: (r: R) => void, reject: (err: unknown) => void }

/**
 * A group commit: items submitted while `concurrency` batches are in flight wait and go
 * together in the next batch, each settled only after its batch was committed. At a low rate
 * every item gets its own batch at once; under load the batches grow, so the database pays
 * one statement, round trip and commit per batch rather than per item, and the caller holds
 * at most `concurrency` connections whatever the load. Items of the same I/O turn go in one
 * batch: the pump runs once after them.
 */
export function createGroupCommit<T, R> (opts: GroupCommitOptions<T, R>) {
  const maxBatch = opts.maxBatch ?? Infinity
  const maxQueued = opts.maxQueued ?? Infinity
  const { keyOf } = opts
  let queue: Array<Waiting<T, R>> = []
  /** Keys with a batch in flight. */
  const busy = new Set<string>()
  let inFlight = 0
  let scheduled = false
  /** Recent batch time (moving average), to tell a refused caller how long the queue needs. */
  let batchMs = 10

  async function run (batch: Array<Waiting<T, R>>): Promise<void> {
    try {
      const results = await opts.commit(batch.map((w) => w.item))
      batch.forEach((w, i) => { w.resolve(results[i] as R) })
    } catch (err) {
      for (const w of batch) w.reject(err)
    }
  }

  /**
   * Up to maxBatch waiting items whose keys are idle, in arrival order. Items of a key left
   * over (the batch was full) keep their order in the queue and can only go once this batch
   * is done, so they cannot overtake it.
   */
  function take (): Array<Waiting<T, R>> {
    if (keyOf === undefined) return queue.splice(0, maxBatch)
    const batch: Array<Waiting<T, R>> = []
    const rest: Array<Waiting<T, R>> = []
    for (const w of queue) {
      if (batch.length < maxBatch && !busy.has(keyOf(w.item))) batch.push(w)
      else rest.push(w)
    }
    queue = rest
    return batch
  }

  function pump (): void {
    scheduled = false
    while (inFlight < opts.concurrency && queue.length > 0) {
      const batch = take()
      if (batch.length === 0) return
      opts.onBatch?.(batch.length, queue.length)
      const keys = keyOf === undefined ? [] : [...new Set(batch.map((w) => keyOf(w.item)))]
      for (const key of keys) busy.add(key)
      inFlight++
      const started = performance.now()
      void run(batch).finally(() => {
        batchMs = 0.8 * batchMs + 0.2 * (performance.now() - started)
        inFlight--
        for (const key of keys) busy.delete(key)
        schedule()
      })
    }
  }

  function schedule (): void {
    if (scheduled) return
    scheduled = true
    setImmediate(pump)
  }

  return {
    /** Queues one item; settles once its batch was committed (or failed). */
    async submit (item: T): Promise<R> {
      if (queue.length >= maxQueued) {
        const rounds = Math.ceil(queue.length / (Math.min(maxBatch, queue.length) * opts.concurrency))
        throw rateLimited(opts.busyMessage ?? 'Server busy, retry', Math.ceil(rounds * batchMs))
      }
      return await new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        schedule()
      })
    },
    /** Waits until everything submitted so far is committed. */
    async idle (): Promise<void> {
      while (inFlight > 0 || scheduled || queue.length > 0) await new Promise((resolve) => setImmediate(resolve))
    },
    /** Batches in flight and items waiting; for tests and metrics. */
    stats: () => ({ inFlight, queued: queue.length })
  }
}

export type GroupCommit<T, R> = ReturnType<typeof createGroupCommit<T, R>>
