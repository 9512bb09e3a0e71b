// suite: default only — `npm start` on the embedded store in a temp DATA_DIR; it takes no DATABASE_URL
/**
 * `npm start` as a service manager or a terminal runs it: the server answers /readyz; a
 * SIGTERM to the npm process (all a service manager may know of) stops the server itself
 * gracefully; a Ctrl-C (SIGINT to the whole process group, npm and server alike) does too; and
 * a start with nothing changed since the last build rebuilds nothing.
 * The first start builds whatever is stale in this checkout (up to a minute, once).
 */
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { JWT_SECRET, ROOT, freePort, probe, tempDir, until, within } from '../faults/support.js'
import { copyPreparedPgliteDir } from '../prepared-databases.js'

t.setTimeout(300_000)

interface Started {
  npmPid: number
  serverPid: number
  /** npm's exit: the server's exit code when it exits by itself. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  output: () => string
  /** From spawn to /readyz 200, in ms. */
  readyAfterMs: number
}

/** `npm start` in its own process group (like a terminal's foreground job), until /readyz answers. */
async function npmStart (t: Test, dataDir: string): Promise<Started> {
  const port = await freePort()
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    JWT_SECRET,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_MS: '200',
    // A server that lives seconds (test/faults/support.ts says why)
    PGLITE_LIFTOFF_ONLY: 'true'
  }
  const t0 = Date.now()
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  npm.stdout.on('data', (d: Buffer) => { out += d.toString() })
  npm.stderr.on('data', (d: Buffer) => { out += d.toString() })
  let running = true
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    npm.once('exit', (code, signal) => { running = false; resolve({ code, signal }) })
  })
  t.teardown(async () => {
    if (!t.passing()) t.comment(`npm start output:\n${out.slice(-3000)}`)
    if (running) {
      try { process.kill(-npm.pid!, 'SIGKILL') } catch {}
      await exited
    }
  })
  await until(async () => {
    if (!running) throw new Error(`npm start exited before /readyz:\n${out}`)
    return (await probe(`http://127.0.0.1:${port}/readyz`)) === 200
  }, 240_000, 'npm start to answer /readyz', 200)
  const readyAfterMs = Date.now() - t0
  // The script's shell execs node, so npm's only child is the server itself.
  const children = readFileSync(`/proc/${npm.pid!}/task/${npm.pid!}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  t.equal(children.length, 1, 'npm has one child process')
  const serverPid = children[0]!
  t.match(readFileSync(`/proc/${serverPid}/cmdline`, 'utf8'), /dist\/src\/server\.js/, 'and it is the server')
  return { npmPid: npm.pid!, serverPid, exited, output: () => out, readyAfterMs }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

t.test('npm start: SIGTERM to npm stops the server; a start with nothing changed builds nothing; Ctrl-C stops it too', async (t) => {
  const dataDir = tempDir(t, 'relay-start-')
  // On a copy of the migrated store: a new store's first start (initdb, every migration) is
  // test/quick-start.test.ts's; this one is about npm and the signals.
  await copyPreparedPgliteDir(join(dataDir, 'pglite'))

  const first = await npmStart(t, dataDir)
  t.comment(`first start (builds what is stale): ready after ${(first.readyAfterMs / 1000).toFixed(1)} s`)
  process.kill(first.npmPid, 'SIGTERM')
  const firstExit = await within(first.exited, 30_000, 'npm to exit after SIGTERM')
  t.same(firstExit, { code: 0, signal: null }, 'npm exits 0: the server it ran exited cleanly')
  t.notOk(alive(first.serverPid), 'the server process is gone')
  t.match(first.output(), /draining, then closing/, 'the server drained (a graceful stop, not a kill)')

  const builtAt = statSync(join(ROOT, 'dist', 'src', 'server.js')).mtimeMs
  const second = await npmStart(t, dataDir)
  // Most of a start is the server's own (the embedded store opening its files), not the check.
  t.comment(`second start (nothing changed): ready after ${(second.readyAfterMs / 1000).toFixed(1)} s, ${/build: up to date \(checked in \d+ ms\)/.exec(second.output())?.[0] ?? 'build: ?'}`)
  t.match(second.output(), /build: up to date/, 'the second start built nothing')
  t.equal(statSync(join(ROOT, 'dist', 'src', 'server.js')).mtimeMs, builtAt, 'the compiled server was not rewritten')

  // Ctrl-C: the terminal signals npm and the server; npm forwards its copy to the server too.
  process.kill(-second.npmPid, 'SIGINT')
  const secondExit = await within(second.exited, 30_000, 'npm to exit after SIGINT')
  t.same(secondExit, { code: 0, signal: null }, 'npm exits 0 after a Ctrl-C: the doubled signal did not force an exit 1')
  t.notOk(alive(second.serverPid), 'the server process is gone')
  t.match(second.output(), /draining, then closing/, 'the server drained')
})
