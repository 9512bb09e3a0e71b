import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

let config
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message)
    process.exit(1)
  }
  throw err
}

const app = await buildApp(config)

/**
 * SHUTDOWN_DRAIN_MS (part of SHUTDOWN_TIMEOUT_MS) spent draining after a signal: /readyz answers 503 while
 * sockets and routes keep serving, so a load balancer stops sending new clients here and
 * sends already in flight finish and are acknowledged on their own connection.
 */
const drainMs = Math.min(config.SHUTDOWN_DRAIN_MS, Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2))

// SIGTERM/SIGINT: readiness goes red first (drain), then app.close(): sockets are closed as a
// transport close (clients reconnect elsewhere), their hooks finish, the database closes.
let stopSignal: NodeJS.Signals | undefined
const graceful = closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, skip: ['SIGINT', 'SIGTERM'] }, async ({ signal: other, err }) => {
  const signal = stopSignal ?? other
  if (err !== undefined) {
    app.log.error({ err }, 'closing after error')
  } else {
    app.log.info({ signal, drainMs }, 'draining, then closing')
    app.markDraining()
    if (signal !== undefined) await new Promise((resolve) => setTimeout(resolve, drainMs))
  }
  await app.close()
})

// One stop often arrives twice within moments: `npm start` forwards the signal it gets, and a
// terminal's Ctrl-C (or a service manager) also signals the server itself. Only a second
// signal well after the first means "stop now".
let stopAt = 0
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopSignal === undefined) {
      stopSignal = signal
      stopAt = Date.now()
      void graceful.close()
    } else if (Date.now() - stopAt > 1000) {
      app.log.error({ signal }, 'second signal, exiting now')
      process.exit(1)
    }
  })
}

try {
  // A restart with thousands of clients: they all reconnect within seconds. Node's default
// backlog (511) overflowed in the reconnect-storm benchmark (the kernel dropped the SYNs and
// clients waited for TCP's 1 s, 3 s, 7 s retransmits).
await app.listen({ port: config.PORT, host: config.HOST, backlog: config.LISTEN_BACKLOG })
} catch (err) {
  app.log.error({ err }, 'failed to start')
  process.exit(1)
}
