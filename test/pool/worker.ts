/**
 * A pool worker: one test process that runs test files one after another, each as a subtest
 * named after the file, taking every time the next file no other worker of this tap run has
 * taken. `npm test` and the services suite start the workers (`.taprc` `include`), not the
 * files: each file used to be a process of its own, and importing the app, opening the
 * prepared PGlite and the first app build cost about 2.3 s of CPU before its first test,
 * for 192 files. A file named on the command line (`npm test -- <file>`) still runs alone.
 *
 * Files are taken longest first (test/pool/durations.json, unknown files before all), so the
 * suite does not end on one long file running beside an idle worker.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import tap from 'tap'
import { setFileTest } from './tap.js'
import { POOL_DIR, ROOT, suiteFiles } from './files.js'

/** Seconds each file took in a recent run of its suite (`node test/pool/durations.ts < log` rewrites them). */
function durations (suite: 'default' | 'services'): Record<string, number> {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'test', 'pool', 'durations.json'), 'utf8')) as Record<string, Record<string, number>>)[suite] ?? {}
  } catch {
    return {}
  }
}

/** Longest first; a file with no recorded time first of all (it may be long). */
export function order (files: string[], seconds: Record<string, number>): string[] {
  const known = (f: string): number => seconds[f] ?? Number.POSITIVE_INFINITY
  return [...files].sort((a, b) => known(b) - known(a) || a.localeCompare(b))
}

/**
 * This tap run: the workers' parent, the tap runner, by its pid and its start time (a pid is
 * used again; the pair is not). Outside Linux, the pid alone.
 */
function runId (): string {
  try {
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8')
    return `${process.ppid}-${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`
  } catch {
    return String(process.ppid)
  }
}

/**
 * Claims are directories, one per file, under one directory per tap run: `mkdir` either makes
 * it or finds it made. test/setup.ts removes those of earlier runs.
 */
function claimer (): (file: string) => boolean {
  const dir = join(POOL_DIR, runId())
  mkdirSync(dir, { recursive: true })
  return (file) => {
    try {
      mkdirSync(join(dir, createHash('sha1').update(file).digest('hex')))
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw err
    }
  }
}

/**
 * CPU seconds of this process and of its child processes that have ended (servers, CLIs,
 * Chromium): a file's wall time includes waiting for the cores the other workers use, its CPU
 * does not (.ci/run reports both).
 */
function cpuSeconds (): { self: number, children: number } {
  const usage = process.cpuUsage()
  let children = 0
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // cutime and cstime, fields 16 and 17 of stat(5), in clock ticks (100 per second on Linux)
    children = (Number(fields[13]) + Number(fields[14])) / 100
  } catch {}
  return { self: (usage.user + usage.system) / 1e6, children }
}

export async function runWorker (): Promise<void> {
  const services = process.env.TEST_SERVICES === '1'
  // tap's per-process timeout (.taprc `timeout`) becomes each file's; the worker itself runs
  // as long as the files it takes.
  const perFile = Number(process.env.TAP_TIMEOUT ?? 120) * 1000
  tap.setTimeout(0)
  const claim = claimer()
  // TEST_POOL_MATCH=<regular expression>: only the files whose path it matches, pooled as
  // in the whole suite (to try files together that a full run put in one process).
  const only = process.env.TEST_POOL_MATCH === undefined ? undefined : new RegExp(process.env.TEST_POOL_MATCH)
  const files = suiteFiles(services).filter((f) => only?.test(f) ?? true)
  for (const file of order(files, durations(services ? 'services' : 'default'))) {
    if (!claim(file)) continue
    const before = cpuSeconds()
    await tap.test(file, { timeout: perFile }, async (t) => {
      setFileTest(t as unknown as typeof tap)
      await import(pathToFileURL(join(ROOT, file)).href)
    })
    setFileTest(undefined)
    const after = cpuSeconds()
    tap.comment(`cpu ${file} ${(after.self - before.self).toFixed(1)} s in the worker, ${(after.children - before.children).toFixed(1)} s in its child processes`)
  }
}
