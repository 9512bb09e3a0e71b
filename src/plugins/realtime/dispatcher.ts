import type { FastifyBaseLogger } from 'fastify'
import type { AppSocket } from './types.js'
import type { TSchema } from 'typebox'
import { compileRequestSchema, type RequestValidator } from '../../lib/schema-compiler.js'
import { AppError, rateLimited, toErrorBody, validation } from '../../lib/errors.js'
import { TokenBucket } from '../../lib/token-bucket.js'
import { compileIdNormaliser, type IdNormaliser } from '../../lib/id-normaliser.js'
import type { Ack, DispatchStats, EventDefinition, EventObserver, Realtime, SocketContext } from './types.js'

/**
 * The one dispatcher of client -> server events. For each event, in this order: a token from
 * the socket's bucket (unknown events pay too), the handler by name, the payload checked
 * against its schema, the handler, the ack `{ok, data}` or `{ok: false, error}`. Handlers
 * under way are tracked so shutdown can let them finish and ack.
 */
export function createDispatcher (log: FastifyBaseLogger, eventsPerSecond: number) {
  const handlers = new Map<string, { validate: RequestValidator, normalise?: IdNormaliser, def: EventDefinition<any> }>()
  const stats: DispatchStats = { unknownEvents: 0, rateLimited: 0, handlerErrors: 0 }
  const observers: EventObserver[] = []
  /** Event handlers running; shutdown lets them finish and ack before closing their sockets. */
  const inflight = new Set<Promise<void>>()

  const handle: Realtime['handle'] = (events) => {
    for (const [name, def] of Object.entries(events)) {
      if (handlers.has(name)) throw new Error(`Socket event ${name} registered twice`)
      handlers.set(name, { validate: compileRequestSchema(def.schema), normalise: compileIdNormaliser(def.schema), def })
    }
  }

  /** Routes every event of one socket through the dispatcher. */
  const attach = (socket: AppSocket, ctx: SocketContext): void => {
    const bucket = new TokenBucket(eventsPerSecond * 2, eventsPerSecond)

    socket.onAny((event: unknown, ...args: unknown[]) => {
      const last = args[args.length - 1]
      const ack = typeof last === 'function' ? last as (reply: Ack) => void : undefined
      const payload = ack === undefined ? args[0] : (args.length > 1 ? args[0] : undefined)
      const received = observers.length > 0 ? process.hrtime.bigint() : 0n
      const reply = (r: Ack): void => {
        if (ack !== undefined) ack(r)
        if (observers.length > 0) {
          const name = typeof event === 'string' && handlers.has(event) ? event : 'unknown'
          const seconds = Number(process.hrtime.bigint() - received) / 1e9
          for (const fn of observers) fn(name, r.ok ? 'ok' : r.error.code, seconds)
        }
      }
      const fail = (err: AppError): void => { reply({ ok: false, error: err.toJSON() }) }

      // Every event costs a token, unknown ones too: a flood is cut before any other work.
      if (!bucket.take()) {
        stats.rateLimited++
        fail(rateLimited('Too many events, slow down', bucket.msUntil()))
        return
      }
      const entry = typeof event === 'string' ? handlers.get(event) : undefined
      if (entry === undefined) {
        stats.unknownEvents++
        fail(validation(`Unknown event ${typeof event === 'string' ? event.slice(0, 64) : ''}`))
        return
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        fail(validation('Payload must be an object'))
        return
      }
      const checked = entry.validate(payload)
      if ('error' in checked) {
        const first = checked.error[0]
        fail(validation(`${first?.instancePath !== undefined && first.instancePath !== '' ? first.instancePath.slice(1) + ': ' : ''}${first?.message ?? 'invalid payload'}`))
        return
      }
      // Ids are lower-case from here on (the stored form), whatever case the client sent.
      const input = entry.normalise === undefined ? checked.value : entry.normalise(checked.value)
      // Through a promise, so a handler that throws synchronously is answered like one that rejects.
      const run = Promise.resolve().then(async () => await entry.def.handler(ctx, input)).then(
        (data) => { reply({ ok: true, data: data ?? {} }) },
        (err: unknown) => {
          if (!(err instanceof AppError)) {
            stats.handlerErrors++
            log.error({ err, event }, 'socket handler failed')
          }
          reply({ ok: false, error: toErrorBody(err) })
        }
      )
      inflight.add(run)
      void run.finally(() => { inflight.delete(run) })
    })
  }

  /** Waits for the handlers under way, at most `maxMs` (a client that keeps sending cannot hold the shutdown). */
  const drain = async (maxMs: number): Promise<void> => {
    const deadline = Date.now() + maxMs
    while (inflight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...inflight]), new Promise((resolve) => setTimeout(resolve, 50))])
    }
  }

  const onEventAnswered = (fn: EventObserver): void => { observers.push(fn) }
  const eventSchema = (name: string): TSchema | undefined => handlers.get(name)?.def.schema
  return { handle, attach, drain, eventNames: () => [...handlers.keys()], eventSchema, onEventAnswered, stats }
}
