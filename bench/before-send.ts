/**
 * The before-send hook's cost on the send path: socket `message:send` ack latency (p50, p99)
 * with a local hook answering in ~1 ms (a separate process on 127.0.0.1) beside the same run
 * without a hook, alternating A/B runs so machine load drifts over both alike.
 *
 *   npx tsx --conditions=@relay-im/source bench/before-send.ts [--senders 20] [--messages 100] [--rounds 3]
 *
 * The server (embedded PGlite in memory, or DATABASE_URL) and the senders share this process;
 * the hook runs in its own. Numbers are for the whole machine as it is: the load average is
 * printed beside them.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { benchApp, groupOfSenders, pct, sendClosedLoop, startServerProcess } from './lib/closed-loop-group.js'

const { values } = parseArgs({ options: { senders: { type: 'string', default: '20' }, messages: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' } } })
const senders = Number(values.senders)
const perSender = Number(values.messages)

const HOOK = `
const http = require('node:http')
const server = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => setTimeout(() => { res.setHeader('content-type', 'application/json'); res.end('{"action":"allow"}') }, 1))
})
server.listen(0, '127.0.0.1', () => process.send(server.address().port))
`

async function run (hookPort: number | undefined): Promise<{ p50: number, p99: number, max: number, perS: number, load: number[] }> {
  const { app, url } = await benchApp(hookPort === undefined ? {} : { BEFORE_SEND_URL: `http://127.0.0.1:${hookPort}/hook`, BEFORE_SEND_SECRET: 'bench-hook-secret-long', OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${hookPort}` })
  const { groupId, sockets } = await groupOfSenders(app, url, senders)
  const { latencies, seconds } = await sendClosedLoop(sockets, groupId, perSender)
  for (const s of sockets) s.close()
  await app.close()
  return { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: latencies.at(-1)!, perS: latencies.length / seconds, load: loadavg() }
}

const hook = await startServerProcess(HOOK)
const fmt = (n: number): string => n.toFixed(2)
try {
  console.log(`senders ${senders} x ${perSender} messages, closed loop, one group; hook answers after setTimeout(1)`)
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const withHook of [false, true]) {
      const res = await run(withHook ? hook.port : undefined)
      console.log(`round ${r + 1} ${withHook ? 'hook   ' : 'no hook'}: p50 ${fmt(res.p50)} ms  p99 ${fmt(res.p99)} ms  max ${fmt(res.max)} ms  ${res.perS.toFixed(0)} msg/s  load ${res.load.map(fmt).join(' ')}`)
    }
  }
} finally {
  hook.stop()
}
