// suite: default only — address checks and the outbound client against local servers; nothing here reads the store
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LookupAddress } from 'node:dns'
import {
  checkOutboundUrl, createOutboundAgents, isPublicAddress, outboundRequest, OutboundUrlError,
  parseAllowedHosts, parseOutboundUrl, type Resolver
} from '../../src/lib/outbound-url.js'

const NOT_PUBLIC = [
  // IPv4: unspecified, loopback, private, CGN, link-local (cloud metadata), multicast, broadcast, reserved, documentation, benchmarking
  '0.0.0.0', '0.1.2.3', '127.0.0.1', '127.255.255.254', '10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255',
  '192.168.0.1', '192.168.255.255', '100.64.0.1', '100.127.255.255', '169.254.169.254', '169.254.0.1', '224.0.0.1',
  '239.255.255.250', '255.255.255.255', '240.0.0.1', '192.0.0.8', '192.0.2.1', '198.18.0.1', '198.19.255.255',
  '198.51.100.7', '203.0.113.9',
  // IPv6: unspecified, loopback, unique-local, link-local, site-local, multicast, documentation, discard, ORCHID, Teredo
  '::', '::1', 'fc00::1', 'fd12:3456:789a::1', 'fe80::1', 'febf::1', 'fec0::1', 'ff02::1', 'ff05::2', '2001:db8::1',
  '100::1', '2001:10::1', '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2',
  // IPv6 forms carrying a non-public IPv4 address: mapped, compatible, SIIT, NAT64 (well-known and local-use), 6to4
  '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1', '::7f00:1', '::10.1.2.3',
  '::ffff:0:127.0.0.1', '64:ff9b::127.0.0.1', '64:ff9b::a00:1', '64:ff9b:1::c0a8:1', '2002:7f00:1::1', '2002:a00:1::',
  '2002:c0a8:101::1', '2002:a9fe:a9fe::',
  // not addresses at all, or shorthand the URL parser would have normalised
  '', 'localhost', '127.1', '2130706433', '0x7f000001', '017700000001', 'fe80::1%eth0', '1.2.3', '::ffff:1.2.3.4.5'
]
const PUBLIC = [
  '1.1.1.1', '8.8.8.8', '93.184.216.34', '142.250.74.46', '100.63.255.255', '100.128.0.1', '172.15.255.255', '172.32.0.1',
  '192.167.255.255', '192.169.0.1', '198.17.255.255', '198.20.0.1', '223.255.255.254',
  '2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:82b::200e', '[2606:4700::1]',
  // transition forms that carry a public IPv4 address are judged as that address
  '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'
]

t.test('isPublicAddress: table of addresses', async (t) => {
  for (const a of NOT_PUBLIC) t.equal(isPublicAddress(a), false, `${a || '(empty)'} is not public`)
  for (const a of PUBLIC) t.equal(isPublicAddress(a), true, `${a} is public`)
})

const resolverOf = (table: Record<string, string[]>): Resolver => async (host) => {
  const r = table[host]
  if (r === undefined) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' })
  return r
}
const resolver = resolverOf({
  'push.example.com': ['93.184.216.34', '2606:4700::1'],
  'internal.example.com': ['10.1.2.3'],
  'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'v6local.example.com': ['fd00::1'],
  'empty.example.com': []
})
const none = parseAllowedHosts('')

t.test('checkOutboundUrl refuses http, non-URLs, credentials and private hosts, however spelt', async (t) => {
  const refused: Array<[string, RegExp]> = [
    ['not a url', /not a URL/],
    ['', /empty/],
    ['ftp://push.example.com/x', /https/],
    ['javascript:alert(1)', /https/],
    ['http://push.example.com/x', /https/],
    ['https://user:pw@push.example.com/x', /credentials/],
    ['https://127.0.0.1/x', /public/],
    ['https://127.1/x', /public/],
    ['https://2130706433/x', /public/],
    ['https://0x7f000001/x', /public/],
    ['https://0177.0.0.1/x', /public/],
    ['https://0x7f.1/x', /public/],
    ['https://017700000001/x', /public/],
    ['https://10.0.0.1/x', /public/],
    ['https://169.254.169.254/latest/meta-data', /public/],
    ['https://[::1]/x', /public/],
    ['https://[::ffff:127.0.0.1]/x', /public/],
    ['https://[::ffff:a9fe:a9fe]/x', /public/],
    ['https://[64:ff9b::7f00:1]/x', /public/],
    ['https://[2002:7f00:1::]/x', /public/],
    ['https://[fe80::1]/x', /public/],
    ['https://[fc00::1]/x', /public/],
    ['https://0.0.0.0/x', /public/],
    ['https://internal.example.com/x', /non-public/],
    ['https://mixed.example.com/x', /non-public/],
    ['https://metadata.example.com/x', /non-public/],
    ['https://mapped.example.com/x', /non-public/],
    ['https://v6local.example.com/x', /non-public/],
    ['https://empty.example.com/x', /resolve/],
    ['https://nowhere.example.com/x', /resolve/],
    [`https://push.example.com/${'a'.repeat(3000)}`, /too long/]
  ]
  for (const [url, reason] of refused) {
    await t.rejects(checkOutboundUrl(url, { allowedHosts: none, resolver }), reason, url.slice(0, 80))
  }
  const ok = await checkOutboundUrl('https://push.example.com/wpush/v2/abc', { allowedHosts: none, resolver })
  t.equal(ok.href, 'https://push.example.com/wpush/v2/abc')
  t.ok(await checkOutboundUrl('https://8.8.8.8:8443/x', { allowedHosts: none, resolver }))
  t.ok(await checkOutboundUrl('https://[2606:4700:4700::1111]/x', { allowedHosts: none, resolver }))
})

t.test('OUTBOUND_ALLOWED_HOSTS lets exactly those host:port through, http too', async (t) => {
  const allowed = parseAllowedHosts(' 127.0.0.1:9000 , Internal.Example.com:8443,[::1]:8080, metadata.example.com')
  t.same([...allowed].sort(), ['127.0.0.1:9000', '[::1]:8080', 'internal.example.com:8443', 'metadata.example.com:443'])
  const opts = { allowedHosts: allowed, resolver }
  t.ok(await checkOutboundUrl('http://127.0.0.1:9000/push', opts))
  t.ok(await checkOutboundUrl('https://internal.example.com:8443/hook', opts))
  t.ok(await checkOutboundUrl('http://[::1]:8080/', opts))
  t.ok(await checkOutboundUrl('https://metadata.example.com/', opts), 'no port = 443')
  await t.rejects(checkOutboundUrl('http://127.0.0.1:9001/push', opts), /https/, 'another port is not allowed')
  await t.rejects(checkOutboundUrl('https://127.0.0.1/push', opts), /public/)
  await t.rejects(checkOutboundUrl('https://internal.example.com/hook', opts), /non-public/)
  await t.rejects(checkOutboundUrl('http://metadata.example.com/', opts), /https/, 'http port 80 is not the listed 443')
  t.throws(() => parseAllowedHosts('http://x/y'), OutboundUrlError)
  t.throws(() => parseAllowedHosts('a.example/path'), OutboundUrlError)
  t.equal(parseAllowedHosts(undefined).size, 0)
  t.throws(() => parseOutboundUrl('https://[::1/x', { allowedHosts: none }), /not a URL/)
})

type LookupCb = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void
function fakeLookup (answer: LookupAddress[]): typeof import('node:dns').lookup {
  return ((_host: string, _opts: unknown, cb: LookupCb) => { setImmediate(() => { cb(null, answer) }) }) as never
}

t.test('outboundRequest: connect-time check, no redirects, bounded time and size', async (t) => {
  let slow = false
  const server = http.createServer((req, res) => {
    if (req.url === '/redirect') { res.writeHead(302, { location: 'http://169.254.169.254/' }); res.end(); return }
    if (req.url === '/big') { res.end(Buffer.alloc(200_000, 97)); return }
    if (req.url === '/slow') { slow = true; return } // never answers
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => { res.writeHead(201, { 'content-type': 'text/plain' }); res.end(`got ${req.method} ${body}`) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const allowedHosts = parseAllowedHosts(`127.0.0.1:${port}`)
  const agents = createOutboundAgents()
  t.teardown(agents.destroy)

  const ok = await outboundRequest(`http://127.0.0.1:${port}/x`, { body: 'hello' }, { allowedHosts, agents })
  t.equal(ok.status, 201)
  t.equal(ok.body.toString(), 'got POST hello')

  const redirect = await outboundRequest(`http://127.0.0.1:${port}/redirect`, { method: 'GET' }, { allowedHosts, agents })
  t.equal(redirect.status, 302, 'a redirect is returned, not followed')

  const big = await outboundRequest(`http://127.0.0.1:${port}/big`, { method: 'GET', maxResponseBytes: 1000 }, { allowedHosts, agents })
  t.equal(big.body.length, 1000)
  t.equal(big.truncated, true)

  await t.rejects(outboundRequest(`http://127.0.0.1:${port}/slow`, { method: 'GET', timeoutMs: 200 }, { allowedHosts, agents }), /timed out/)
  t.ok(slow)

  await t.rejects(outboundRequest(`http://127.0.0.1:${port}/x`, {}, { allowedHosts: none, agents }), /https/, 'not allowed: http refused')
  await t.rejects(outboundRequest('https://127.0.0.1/x', {}, { allowedHosts: none, agents }), /public/, 'literal private address refused before connecting')
  await t.rejects(outboundRequest('https://[::ffff:7f00:1]/x', {}, { allowedHosts: none, agents }), /public/)

  // DNS rebinding: the name passed registration, now resolves to loopback at connect time.
  const rebound = createOutboundAgents({ lookup: fakeLookup([{ address: '127.0.0.1', family: 4 }]) })
  t.teardown(rebound.destroy)
  const err = await outboundRequest(`https://rebind.example.com:${port}/x`, {}, { allowedHosts: none, agents: rebound }).catch((e: unknown) => e)
  t.ok(err instanceof OutboundUrlError, 'refused at connect time')
  t.equal((err as NodeJS.ErrnoException).code, 'EOUTBOUNDREFUSED')
  const rebound6 = createOutboundAgents({ lookup: fakeLookup([{ address: '93.184.216.34', family: 4 }, { address: '::1', family: 6 }]) })
  t.teardown(rebound6.destroy)
  await t.rejects(outboundRequest(`https://rebind.example.com:${port}/x`, {}, { allowedHosts: none, agents: rebound6 }), /non-public/, 'one private address among public ones is enough to refuse')
})
