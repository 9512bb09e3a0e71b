import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import type { Build } from './checkout.js'

/** One run of one scenario on one build, as the table shows it. */
export interface RunRecord {
  scenario: string
  build: string
  role: string
  round: number
  startedAt: string
  load1Start: number
  load1End: number
  /** bench/run.ts's JSON result; undefined when the run failed. */
  result?: Record<string, unknown>
  error?: string
}

const load1 = (): number => Math.round(loadavg()[0]! * 100) / 100

/** The run in progress, stopped by stopCurrentRun() on Ctrl-C. */
let current: ChildProcess | undefined

/**
 * `bench/run.ts <argv> --json` of this checkout (the harness) against `build`'s server, its
 * stderr shown and kept in `<outDir>/<name>.log`, its JSON in `<outDir>/<name>.json`. Never
 * throws: a failure comes back as `error` (the last lines of its log).
 */
export async function runOnce (harnessRoot: string, build: Build, argv: string[], name: string, outDir: string): Promise<{ result?: Record<string, unknown>, error?: string, load1Start: number, load1End: number, startedAt: string }> {
  const startedAt = new Date().toISOString()
  const load1Start = load1()
  if (build.error !== undefined) return { error: `build: ${build.error}`, load1Start, load1End: load1Start, startedAt }
  const logFile = createWriteStream(join(outDir, `${name}.log`))
  const env = { ...process.env }
  if (build.root !== undefined) env.BENCH_SERVER_ROOT = build.root
  else delete env.BENCH_SERVER_ROOT
  // Its own process group: Ctrl-C in the terminal reaches this process only, which then stops
  // the run with SIGTERM (bench/run.ts closes its servers and drops its database on it).
  const child = spawn(process.execPath, ['--import', 'tsx', join(harnessRoot, 'bench', 'run.ts'), ...argv, '--json'], {
    cwd: harnessRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true
  })
  current = child
  let stdout = ''
  let stderrTail = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk)
    logFile.write(chunk)
    stderrTail = (stderrTail + chunk.toString()).slice(-4000)
  })
  const code = await new Promise<number | string>((resolve) => {
    child.once('close', (c, signal) => { resolve(c ?? signal ?? 'unknown') })
  })
  current = undefined
  await new Promise<void>((resolve) => { logFile.end(resolve) })
  const load1End = load1()
  const done = { load1Start, load1End, startedAt }
  const line = stdout.trim().split('\n').at(-1) ?? ''
  if (code === 0 && line.startsWith('{')) {
    try {
      const result = JSON.parse(line) as Record<string, unknown>
      writeFileSync(join(outDir, `${name}.json`), line + '\n')
      return { ...done, result }
    } catch {}
  }
  const lastLines = stderrTail.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at ')).slice(-2).join(' ')
  return { ...done, error: `exit ${code}: ${lastLines}` }
}

/** Ctrl-C: SIGTERM to the run in progress (it cleans up), SIGKILL to its process group after `graceMs`. */
export async function stopCurrentRun (graceMs = 30_000): Promise<void> {
  const child = current
  if (child?.pid === undefined || child.exitCode !== null) return
  const closed = new Promise<void>((resolve) => { child.once('close', () => { resolve() }) })
  child.kill('SIGTERM')
  const timer = setTimeout(() => {
    try { process.kill(-child.pid!, 'SIGKILL') } catch {}
  }, graceMs)
  await closed
  clearTimeout(timer)
}
