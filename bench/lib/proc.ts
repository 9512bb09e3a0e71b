import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

export interface ProcSample { cpuS: number, rssKb: number, runqWaitS: number }

/** Seconds the main (event-loop) thread spent runnable but waiting for a CPU (/proc/<pid>/task/<pid>/schedstat). */
function runqWait (pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1] ?? 0) / 1e9
  } catch {
    return 0
  }
}

/** CPU seconds used so far (user + system) and resident memory of one process. */
export function readProc (pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12]) // utime, stime (fields 14 and 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rss = /VmRSS:\s+(\d+) kB/.exec(status)
    return { cpuS: ticks / CLK_TCK, rssKb: rss === null ? 0 : Number(rss[1]), runqWaitS: runqWait(pid) }
  } catch {
    return undefined
  }
}

export interface Usage {
  /** CPU over the window in % of one core (200 = both cores of a 2-core machine). */
  cpuPct: number
  /** CPU seconds over the window. */
  cpuS: number
  /** Highest summed RSS seen during the window. */
  rssMaxMb: number
  rssLastMb: number
  /**
   * Time the event-loop thread was runnable but waiting for a CPU, in % of the window
   * (averaged over the processes): on a machine shared with other work this shows how much
   * of the latency is the scheduler rather than the process.
   */
  runqWaitPct: number
}

/**
 * Samples a set of processes every `everyMs` between start() and stop(): CPU from the first
 * and last readings, peak RSS from all of them.
 */
export class Sampler {
  private first = new Map<number, ProcSample>()
  private last = new Map<number, ProcSample>()
  private startedAt = 0
  private rssMaxKb = 0
  private timer: NodeJS.Timeout | undefined

  private readonly pids: () => number[]
  private readonly everyMs: number
  constructor (pids: () => number[], everyMs = 250) {
    this.pids = pids
    this.everyMs = everyMs
  }

  start (): void {
    this.first.clear()
    this.last.clear()
    this.rssMaxKb = 0
    this.startedAt = performance.now()
    this.sample(true)
    this.timer = setInterval(() => { this.sample(false) }, this.everyMs)
  }

  private sample (initial: boolean): void {
    let rss = 0
    for (const pid of this.pids()) {
      const s = readProc(pid)
      if (s === undefined) continue
      if (initial || !this.first.has(pid)) this.first.set(pid, s)
      this.last.set(pid, s)
      rss += s.rssKb
    }
    if (rss > this.rssMaxKb) this.rssMaxKb = rss
  }

  stop (): Usage {
    clearInterval(this.timer)
    this.sample(false)
    const elapsedS = (performance.now() - this.startedAt) / 1000
    let cpu = 0
    let rss = 0
    let wait = 0
    for (const [pid, end] of this.last) {
      cpu += end.cpuS - (this.first.get(pid)?.cpuS ?? end.cpuS)
      wait += end.runqWaitS - (this.first.get(pid)?.runqWaitS ?? end.runqWaitS)
      rss += end.rssKb
    }
    const pct = (s: number): number => elapsedS > 0 ? (s / elapsedS) * 100 : 0
    return { cpuPct: pct(cpu), cpuS: cpu, rssMaxMb: this.rssMaxKb / 1024, rssLastMb: rss / 1024, runqWaitPct: pct(wait / Math.max(1, this.last.size)) }
  }
}
