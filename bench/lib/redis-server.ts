import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { createConnection } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort, niced } from './server.js'

/** Bytes Redis read from and wrote to all its clients so far (INFO stats). */
export interface RedisTraffic { inBytes: number, outBytes: number }

/**
 * A private redis-server for a multi-node run: a free port, nothing saved, stopped at the end.
 * Its CPU (from /proc) and INFO traffic are the cluster's alone, not other tests' on :6379.
 */
export class PrivateRedis {
  readonly port: number
  readonly proc: ChildProcess
  private constructor (port: number, proc: ChildProcess) {
    this.port = port
    this.proc = proc
  }

  get url (): string { return `redis://127.0.0.1:${this.port}` }
  get pid (): number { return this.proc.pid ?? 0 }

  static async start (logFile: string, nice = 0): Promise<PrivateRedis> {
    const port = await freePort()
    const [cmd, ...args] = [...niced(nice), 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const out = createWriteStream(logFile, { flags: 'a' })
    proc.stdout?.pipe(out)
    proc.stderr?.pipe(out)
    const r = new PrivateRedis(port, proc)
    for (let i = 0; ; i++) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}); see ${logFile}`)
      try {
        if ((await r.command('PING')).includes('PONG')) return r
      } catch {}
      if (i > 200) throw new Error(`redis-server not ready on ${port}`)
      await sleep(25)
    }
  }

  /** One inline command on a fresh connection; the raw reply. */
  async command (line: string): Promise<string> {
    return await new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: this.port })
      let data = ''
      socket.setTimeout(2000, () => { socket.destroy(new Error('redis timeout')) })
      socket.on('error', reject)
      socket.on('data', (chunk) => {
        data += chunk.toString()
        // A bulk reply ($len\r\n…\r\n) or a one-line reply is complete.
        const m = /^\$(\d+)\r\n/.exec(data)
        if (m === null ? data.endsWith('\r\n') : data.length >= m[0].length + Number(m[1]) + 2) {
          socket.end()
          resolve(data)
        }
      })
      socket.write(`${line}\r\n`)
    })
  }

  async traffic (): Promise<RedisTraffic> {
    const info = await this.command('INFO stats')
    const num = (key: string): number => Number(new RegExp(`${key}:(\\d+)`).exec(info)?.[1] ?? 0)
    return { inBytes: num('total_net_input_bytes'), outBytes: num('total_net_output_bytes') }
  }

  async stop (): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return
    const done = new Promise<void>((resolve) => { this.proc.once('exit', () => { resolve() }) })
    this.proc.kill('SIGTERM')
    const timer = setTimeout(() => { this.proc.kill('SIGKILL') }, 5000)
    await done
    clearTimeout(timer)
  }
}
