import type { FastifyBaseLogger } from 'fastify'
import type { ConnectionHook, SocketContext } from './types.js'

/**
 * The connect and disconnect hooks of feature modules (presence). A socket's disconnect hooks
 * start once its connect hooks have finished; shutdown waits for every run (presence writes
 * lastSeenAt in one). A failing hook is logged and the next one still runs.
 */
export function createHooks (log: FastifyBaseLogger) {
  const connectHooks: ConnectionHook[] = []
  const disconnectHooks: ConnectionHook[] = []
  const pending = new Set<Promise<void>>()

  const track = (p: Promise<void>): Promise<void> => {
    pending.add(p)
    void p.finally(() => { pending.delete(p) })
    return p
  }

  const runHooks = async (hooks: ConnectionHook[], ctx: SocketContext): Promise<void> => {
    for (const hook of hooks) {
      try {
        await hook(ctx)
      } catch (err) {
        log.error({ err }, 'socket hook failed')
      }
    }
  }

  return {
    onConnect: (fn: ConnectionHook) => { connectHooks.push(fn) },
    onDisconnect: (fn: ConnectionHook) => { disconnectHooks.push(fn) },
    /** Runs the connect hooks now; returns a function that runs the disconnect hooks after them. */
    connected (ctx: SocketContext): () => void {
      const connected = track(runHooks(connectHooks, ctx))
      return () => { track(connected.then(async () => { await runHooks(disconnectHooks, ctx) })) }
    },
    /** Waits for every hook run, including runs started while waiting. */
    settle: async (): Promise<void> => {
      while (pending.size > 0) await Promise.allSettled([...pending])
    }
  }
}
