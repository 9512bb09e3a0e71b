import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Every metric the server exports, on a registry of its own (tests build several apps per process). */
export function createMetrics () {
  const registry = new Registry()
  // process_* (memory, CPU, fds) and nodejs_* (event-loop lag, heap, GC).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 })

  return {
    registry,
    httpDuration: new Histogram({
      name: 'relay_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry]
    }),
    socketConnections: new Gauge({ name: 'relay_socketio_connections', help: 'Socket.IO connections open on this node', registers: [registry] }),
    socketEvents: new Counter({
      name: 'relay_socket_events_total',
      help: 'Socket events answered, by event name (unknown for unregistered ones) and outcome (ok or the error code)',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry]
    }),
    sendLatency: new Histogram({
      name: 'relay_message_send_latency_seconds',
      help: 'message:send from receipt to ack (successful sends)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry]
    }),
    batchSize: new Histogram({
      name: 'relay_group_commit_batch_size',
      help: 'Messages stored per send statement (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry]
    }),
    queueDepth: new Gauge({ name: 'relay_group_commit_queue_depth', help: 'Sends left waiting when the last batch was taken', registers: [registry] }),
    reactionsInFlight: new Gauge({ name: 'relay_reactions_in_flight', help: 'Reaction ops queued or in a batch on this node, plus coalesced message:updated owed (0: no reaction work in flight)', registers: [registry] }),
    dbPoolInUse: new Gauge({ name: 'relay_db_pool_in_use', help: 'PostgreSQL connections checked out of the pool (0 on PGlite)', registers: [registry] }),
    dbPoolWaiting: new Gauge({ name: 'relay_db_pool_waiting', help: 'Queries waiting for a PostgreSQL connection', registers: [registry] }),
    redisErrors: new Counter({ name: 'relay_redis_adapter_errors_total', help: 'Errors on the Socket.IO Redis adapter\'s connection', registers: [registry] })
  }
}

export type Metrics = ReturnType<typeof createMetrics>
