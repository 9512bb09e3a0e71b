/**
 * deploy/nginx.conf run by Debian's nginx as a child process of the test: its own prefix,
 * main configuration, pid file, logs and temp paths in a temp dir, on a free port (never the
 * system service). The deploy file's upstream servers (node1:3000, node2:3000, ...) are
 * replaced by the given local ports, its `listen 80` by the free port.
 */
import type { Test } from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, freePort, tempDir, until, probe } from './support.js'

export const NGINX = '/usr/sbin/nginx'
export const NGINX_CONF = join(ROOT, 'deploy', 'nginx.conf')

/** Why the load-balancer test cannot run here, or undefined. In CI nginx is installed (.ci/run), so its absence is a failure there. */
export function nginxMissing (): string | undefined {
  if (existsSync(NGINX)) return undefined
  return process.env.CI === undefined ? `no ${NGINX} (apt-get install nginx; CI installs it)` : undefined
}

/** deploy/nginx.conf with `nodeN:3000` as the N-th of `ports` and the given listen port. */
export function renderConf (ports: number[], listen: number): string {
  let text = readFileSync(NGINX_CONF, 'utf8')
  text = text.replace(/^(\s*server\s+)node(\d+):3000\b/gm, (_all, lead: string, n: string) => {
    const port = ports[Number(n) - 1]
    if (port === undefined) throw new Error(`deploy/nginx.conf names node${n}, the test started ${ports.length} nodes`)
    return `${lead}127.0.0.1:${port}`
  })
  text = text.replace(/^(\s*)listen 80;/m, `$1listen 127.0.0.1:${listen};`)
  return text
}

export interface Nginx { port: number, url: string }

export async function startNginx (t: Test, nodePorts: number[]): Promise<Nginx> {
  const dir = tempDir(t, 'relay-nginx-')
  const port = await freePort()
  writeFileSync(join(dir, 'relay-im.conf'), renderConf(nodePorts, port))
  writeFileSync(join(dir, 'nginx.conf'), `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  log_format upstreams '$msec $remote_addr "$request" $status <- $upstream_addr $upstream_status';
  access_log ${join(dir, 'access.log')} upstreams;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  include ${join(dir, 'relay-im.conf')};
}
`)
  const proc = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.on('data', (d: Buffer) => { out += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { out += d.toString() })
  let running = true
  const exited = new Promise<void>((resolve) => { proc.once('exit', () => { running = false; resolve() }) })
  t.teardown(async () => {
    if (!t.passing()) {
      const tail = (file: string): string => existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').slice(-3000) : ''
      t.comment(`nginx output:\n${out}\nerror log:\n${tail('error.log')}\naccess log (time, client, request, status <- upstreams tried and their statuses):\n${tail('access.log')}`)
    }
    if (running) {
      proc.kill('SIGTERM')
      await exited
    }
  })
  const url = `http://127.0.0.1:${port}`
  await until(async () => {
    if (!running) throw new Error(`nginx exited: ${out}`)
    return (await probe(url + '/healthz')) === 200
  }, 20_000, 'nginx to answer /healthz', 50)
  return { port, url }
}
