import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { niced, NOFILE, ROOT } from './server.js'
import type { Command, Reply } from '../worker.js'

interface Waiting { resolve: (v: any) => void, reject: (e: Error) => void }

/**
 * Load-generator processes (not threads: each has its own event loop and CPU time, which the
 * harness samples from /proc). Each is started under prlimit for its sockets, with IPC.
 */
export class WorkerPool {
  private next = 1
  private readonly waiting = new Map<number, Waiting>()

  readonly procs: ChildProcess[]
  private constructor (procs: ChildProcess[]) {
    this.procs = procs
    for (const p of procs) {
      p.on('message', (m: Reply) => {
        const w = this.waiting.get(m.id)
        if (w === undefined) return
        this.waiting.delete(m.id)
        if (m.ok) w.resolve(m.result)
        else w.reject(new Error(m.error))
      })
      p.once('exit', (code, signal) => {
        for (const [id, w] of this.waiting) {
          this.waiting.delete(id)
          w.reject(new Error(`worker exited (${code ?? signal})`))
        }
      })
    }
  }

  static start (n: number, nice = 0): WorkerPool {
    const procs = Array.from({ length: n }, () => {
      const [cmd, ...args] = [...niced(nice), 'prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--', process.execPath,
        '--max-old-space-size=4096', '--import', 'tsx', join(ROOT, 'bench', 'worker.ts')]
      return spawn(cmd!, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    })
    return new WorkerPool(procs)
  }

  get size (): number { return this.procs.length }
  pids (): number[] { return this.procs.map((p) => p.pid ?? 0).filter((p) => p > 0) }

  call<T> (i: number, cmd: Command): Promise<T> {
    const id = this.next++
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      this.procs[i]!.send({ id, ...cmd })
    })
  }

  /** The same command (built per worker) on every worker at once. */
  async all<T> (cmd: (i: number) => Command): Promise<T[]> {
    return await Promise.all(this.procs.map((_, i) => this.call<T>(i, cmd(i))))
  }

  async close (): Promise<void> {
    await Promise.all(this.procs.map(async (p) => {
      if (p.exitCode !== null || p.signalCode !== null) return
      const done = new Promise<void>((resolve) => { p.once('exit', () => { resolve() }) })
      p.kill('SIGTERM')
      await done
    }))
  }
}
