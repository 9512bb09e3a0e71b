// suite: default only — reads deploy files; no database
/**
 * deploy/compose.yaml cannot be run here (no container engine): what can be checked without
 * one is checked. Every variable it gives a node is one the server reads (src/config.ts), with
 * a value the schema accepts; nginx's upstream servers are exactly the compose node services,
 * on the port each node listens on; the health checks probe /readyz, the path nginx serves
 * as its own readiness, on the ports nginx and the nodes listen on; and the nodes are built
 * from the Dockerfile, which runs on a supported Node image.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ConfigSchema, loadConfig } from '../../src/config.js'

const deploy = join(import.meta.dirname, '..', '..', 'deploy')
interface Service {
  build?: { context: string, dockerfile: string }
  image?: string
  environment?: Record<string, string>
  ports?: string[]
  volumes?: string[]
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
}
const compose = parse(readFileSync(join(deploy, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> }
const nginxConf = readFileSync(join(deploy, 'nginx.conf'), 'utf8')
const nodes = Object.entries(compose.services).filter(([, s]) => s.build !== undefined)

t.test('the nodes: variables the configuration knows, values it accepts, built from the Dockerfile', async (t) => {
  t.same(nodes.map(([name]) => name), ['node1', 'node2'], 'two node services')
  const known = new Set(Object.keys(ConfigSchema.properties))
  for (const [name, s] of nodes) {
    const env = s.environment ?? {}
    t.same(Object.keys(env).filter((k) => !known.has(k)), [], `${name}: every variable is in the configuration schema`)
    // ${VAR:?message} is compose's: required from the shell; a stand-in of the schema's length here.
    const raw = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.startsWith('${') ? 'x'.repeat(48) : v]))
    t.doesNotThrow(() => loadConfig(raw), `${name}: the configuration accepts its values`)
    t.equal(env.TRUST_PROXY, 'true', `${name}: trusts X-Forwarded-For from nginx`)
    t.same(s.build, { context: '..', dockerfile: 'Dockerfile' }, `${name}: built from the Dockerfile at the root`)
  }
  const dockerfile = readFileSync(join(deploy, '..', 'Dockerfile'), 'utf8')
  t.same([...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]), ['node:24-bookworm-slim', 'node:24-bookworm-slim'], 'the Dockerfile builds and runs on node:24-bookworm-slim')
})

t.test('nginx.conf and compose name the same nodes, ports and health checks', async (t) => {
  const upstream = [...nginxConf.matchAll(/^\s*server\s+([\w.-]+):(\d+)\b/gm)].map((m) => ({ host: m[1]!, port: m[2]! }))
  t.same(upstream.map((u) => u.host), nodes.map(([name]) => name), 'the upstream servers are the compose node services')
  for (const [name, s] of nodes) {
    const port = s.environment?.PORT
    t.equal(upstream.find((u) => u.host === name)?.port, port, `${name}: nginx connects to the port it listens on (${String(port)})`)
    t.match(s.healthcheck?.test.join(' ') ?? '', new RegExp(`http://127\\.0\\.0\\.1:${String(port)}/readyz`), `${name}: its health check is /readyz on that port`)
  }

  const nginx = compose.services.nginx!
  t.ok(nginx.volumes?.includes('./nginx.conf:/etc/nginx/conf.d/default.conf:ro'), 'compose mounts deploy/nginx.conf as nginx\'s server configuration')
  const listen = /^\s*listen\s+(\d+);/m.exec(nginxConf)?.[1]
  t.equal(listen, '80', 'nginx listens on 80')
  t.ok(nginx.ports?.some((p) => p.endsWith(`:${String(listen)}`)), 'compose publishes nginx\'s listen port')
  t.match(nginxConf, /location = \/readyz \{/, 'nginx serves /readyz itself (from the nodes)')
  t.match(nginx.healthcheck?.test.join(' ') ?? '', new RegExp(`http://127\\.0\\.0\\.1:${String(listen)}/readyz`), 'nginx\'s health check is its /readyz on its listen port')
  t.same(Object.keys(nginx.depends_on ?? {}), nodes.map(([name]) => name), 'nginx starts after the nodes')
  t.ok(Object.values(nginx.depends_on ?? {}).every((d) => d.condition === 'service_healthy'), '…once they are ready')
})
