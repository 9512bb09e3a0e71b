import { rateLimited } from './errors.js'

/**
 * At most `slots` tasks run at once; the rest wait in memory, in order. Work that queues on
 * one database row lock (many people reacting to one message) then waits here instead of in
 * the connection pool, where it would starve every other request of a connection. Over
 * `maxWaiting` waiting tasks, a new one is refused at once with RATE_LIMITED.
 */
export function createLimiter (slots: number, maxWaiting: number) {
  let running = 0
  const waiting: Array<() => void> = []
  let taskMs = 5

  const release = (): void => {
    running--
    waiting.shift()?.()
  }

  return {
    async run<T> (task: () => Promise<T>): Promise<T> {
      if (running >= slots) {
        if (waiting.length >= maxWaiting) throw rateLimited('Server busy, retry', Math.ceil((waiting.length / slots) * taskMs))
        await new Promise<void>((resolve) => { waiting.push(resolve) })
      }
      running++
      const started = performance.now()
      try {
        return await task()
      } finally {
        taskMs = 0.8 * taskMs + 0.2 * (performance.now() - started)
        release()
      }
    },
    stats: () => ({ running, waiting: waiting.length })
  }
}
