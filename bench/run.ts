/**
 * npm run bench -- <scenario> [options]   (see lib/args.ts or --help)
 * Starts the production build against a fresh database, drives it from separate generator
 * processes, stops it, and prints a summary (or one JSON object with --json).
 */
import { availableParallelism } from 'node:os'
import { parse, type Args } from './lib/args.js'
import { Context } from './lib/context.js'
import { log } from './lib/log.js'
import { medianOf, type BenchResult } from './lib/result.js'
import { connections } from './scenarios/connections.js'
import { history } from './scenarios/history.js'
import { messaging } from './scenarios/messaging.js'
import { reactions } from './scenarios/reactions.js'
import { reconnectStorm } from './scenarios/reconnect-storm.js'
import { search } from './scenarios/search.js'
import { channel } from './scenarios/channel.js'
import { outbound } from './scenarios/outbound.js'

const scenarios: Record<Args['scenario'], (args: Args) => Promise<BenchResult>> = {
  'one-to-one': messaging,
  group: messaging,
  connections,
  'reconnect-storm': reconnectStorm,
  history,
  reactions,
  search,
  channel,
  push: outbound,
  webhook: outbound
}

/** Ctrl-C or SIGTERM (bench:compare stopping a run): stop the servers and workers, drop the databases, then exit. */
let closing = false
function closeOnSignal (): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return
    closing = true
    log(`${signal}: stopping the run`)
    Promise.all([...Context.open].map(async (ctx) => { await ctx.close() })).finally(() => { process.exit(signal === 'SIGINT' ? 130 : 143) })
  }
  // `on`, not `once`: a Ctrl-C reaches this process twice under `npm run` (from the terminal to
  // the whole process group, and forwarded by tsx), and a second signal without a handler
  // would end it in the middle of its cleanup.
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

async function main (): Promise<void> {
  closeOnSignal()
  let args: Args
  try {
    args = parse(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exitCode = 2
    return
  }
  const runs: BenchResult[] = []
  for (let i = 0; i < args.runs; i++) {
    if (args.runs > 1) log(`run ${i + 1} of ${args.runs}`)
    const r = await scenarios[args.scenario](args)
    r.settings = { workers: args.workers, nice: args.nice, serverEnv: args.env, nproc: availableParallelism() }
    runs.push(r)
  }
  const result = runs.length === 1 ? runs[0]! : { ...medianOf(runs), runs: runs.length, perRun: runs }
  if (args.json) {
    process.stdout.write(JSON.stringify(result) + '\n')
    return
  }
  const { perRun: _perRun, ...shown } = result as Record<string, unknown>
  for (const [k, v] of Object.entries(shown)) process.stdout.write(`${k.padEnd(22)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`)
}

// While a signal closes the run, the scenario fails (its workers are gone): the signal handler exits once the database is dropped.
main().then(() => { if (!closing) process.exit() }, (err: unknown) => {
  if (closing) return
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
