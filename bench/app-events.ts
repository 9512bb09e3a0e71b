/**
 * App events' cost on the send path: socket `message:send` ack latency (p50, p99) with
 * APP_EVENTS_URL set beside the same run without it, in four modes run in turn each round so
 * machine load drifts over all alike:
 * - `no triggers`: the app_event_* triggers dropped (what the send cost before they existed);
 * - `unset`: APP_EVENTS_URL unset (the triggers' WHEN test is all a write pays);
 * - `recorded`: set, but this node works no jobs (the outbox rows alone);
 * - `delivered`: set, and this node's worker delivers to a receiver answering 200 at once (a
 *   process of its own); after the run it checks that every message arrived, once.
 *
 *   npx tsx --conditions=@relay-im/source bench/app-events.ts [--senders 20] [--messages 100] [--rounds 3]
 *
 * The server (embedded PGlite in memory) and the senders share this process. Numbers are for
 * the whole machine as it is: the load average is printed beside them.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { benchApp, groupOfSenders, pct, sendClosedLoop, startServerProcess } from './lib/closed-loop-group.js'

const { values } = parseArgs({ options: { senders: { type: 'string', default: '20' }, messages: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' } } })
const senders = Number(values.senders)
const perSender = Number(values.messages)

// The receiver counts message.sent events per id (a repeat would show as more calls than ids).
const RECEIVER = `
const http = require('node:http')
const ids = new Set()
let calls = 0
const server = http.createServer((req, res) => {
  if (req.method === 'GET') { res.end(JSON.stringify({ calls, ids: ids.size })); return }
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const e = JSON.parse(Buffer.concat(chunks).toString())
    if (e.type === 'message.sent') { calls++; ids.add(e.id) }
    res.end()
  })
})
server.listen(0, '127.0.0.1', () => process.send(server.address().port))
`

type Mode = 'no triggers' | 'unset' | 'recorded' | 'delivered'

async function run (mode: Mode, port: number | undefined): Promise<{ p50: number, p99: number, max: number, perS: number, load: number[], delivered: string }> {
  const { app, url } = await benchApp({
    JOBS_WORKER: mode !== 'recorded',
    ...(port === undefined ? {} : { APP_EVENTS_URL: `http://127.0.0.1:${port}/events`, APP_EVENTS_SECRET: 'bench-events-secret-long', OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${port}` })
  })
  if (mode === 'no triggers') {
    for (const [trigger, table] of [['app_event_user', 'users'], ['app_event_conversation', 'conversations'], ['app_event_message', 'messages'], ['app_event_member', 'conversation_members']]) {
      await app.sql.query(`DROP TRIGGER ${trigger} ON ${table}`, [])
    }
  }
  const { groupId, sockets } = await groupOfSenders(app, url, senders)
  const started = performance.now()
  const { latencies, seconds } = await sendClosedLoop(sockets, groupId, perSender)
  const load = loadavg()
  let delivered = '-'
  if (mode === 'delivered' && port !== undefined) {
    const want = senders * (perSender + 1)
    const deadline = Date.now() + 120_000
    let got = { calls: 0, ids: 0 }
    while (Date.now() < deadline) {
      await app.appEvents.idle()
      got = await (await fetch(`http://127.0.0.1:${port}/`)).json() as { calls: number, ids: number }
      if (got.ids >= want) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    delivered = `${got.ids}/${want} messages delivered in ${((performance.now() - started) / 1000).toFixed(1)} s (${got.calls} calls)`
  }
  for (const s of sockets) s.close()
  await app.close()
  return { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: latencies.at(-1)!, perS: latencies.length / seconds, load, delivered }
}

const fmt = (n: number): string => n.toFixed(2)
console.log(`senders ${senders} x ${perSender} messages, closed loop, one group; the receiver answers 200 at once`)
for (let r = 0; r < Number(values.rounds); r++) {
  for (const mode of ['no triggers', 'unset', 'recorded', 'delivered'] as const) {
    // A fresh receiver per run: its counts are that run's.
    const receiver = mode === 'recorded' || mode === 'delivered' ? await startServerProcess(RECEIVER) : undefined
    try {
      const res = await run(mode, receiver?.port)
      console.log(`round ${r + 1} ${mode.padEnd(11)}: p50 ${fmt(res.p50)} ms  p99 ${fmt(res.p99)} ms  max ${fmt(res.max)} ms  ${res.perS.toFixed(0)} msg/s  load ${res.load.map(fmt).join(' ')}  ${res.delivered}`)
    } finally {
      receiver?.stop()
    }
  }
}
