import ipaddr from 'ipaddr.js'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'

/**
 * Outbound URLs (Web Push endpoints, bot webhooks): docs/protocol.md, "Web Push and outbound URLs".
 *
 * A URL may leave the server only when it is https and its host is, and resolves only to,
 * public unicast addresses, unless its `host:port` is listed in OUTBOUND_ALLOWED_HOSTS (then
 * plain http is allowed too and the address is not checked). The check runs when the URL is
 * registered (checkOutboundUrl → 400 VALIDATION) and again when connecting (the agents'
 * `lookup` refuses a name that now resolves somewhere private: no DNS rebinding), and
 * outboundRequest never follows redirects and bounds time and response size.
 */

export class OutboundUrlError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'OutboundUrlError'
  }
}

/** `OUTBOUND_ALLOWED_HOSTS` parsed: lower-case `host:port` entries (IPv6 hosts in brackets). */
export type AllowedHosts = ReadonlySet<string>

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' }

/** Parses `a.example:8443,127.0.0.1:9000,[::1]:8080`; an entry without a port means the https port 443. */
export function parseAllowedHosts (value: string | undefined): AllowedHosts {
  const out = new Set<string>()
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim().toLowerCase()
    if (entry === '') continue
    let url: URL
    try {
      url = new URL(`https://${entry}`)
    } catch {
      throw new OutboundUrlError(`OUTBOUND_ALLOWED_HOSTS: "${raw.trim()}" is not host:port`)
    }
    if (url.pathname !== '/' || url.username !== '' || url.search !== '' || url.hash !== '') {
      throw new OutboundUrlError(`OUTBOUND_ALLOWED_HOSTS: "${raw.trim()}" is not host:port`)
    }
    out.add(`${url.hostname}:${url.port === '' ? '443' : url.port}`)
  }
  return out
}

/** `host:port` of a URL as it appears in AllowedHosts. */
export function hostPort (url: URL): string {
  return `${url.hostname.toLowerCase()}:${url.port === '' ? (DEFAULT_PORT[url.protocol] ?? '') : url.port}`
}

// Ranges ipaddr.js reports as 'unicast' that are still not the public Internet (IANA special-purpose registries).
const EXTRA_V4 = [
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // TEST-NET-1
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // TEST-NET-2
  '203.0.113.0/24', // TEST-NET-3
  '240.0.0.0/4' // reserved (ipaddr also calls it reserved; kept for clarity)
].map((c) => ipaddr.IPv4.parseCIDR(c))
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3')

function publicV4 (a: ipaddr.IPv4): boolean {
  if (a.range() !== 'unicast') return false
  return !EXTRA_V4.some((cidr) => a.match(cidr))
}

/** The IPv4 address carried inside an IPv6 transition form (mapped, compatible, NAT64, 6to4), if any. */
function embeddedV4 (a: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = a.parts
  const fromWords = (hi: number, lo: number) =>
    new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff])
  if (a.isIPv4MappedAddress()) return a.toIPv4Address()
  const range = a.range()
  // ::ffff:0:a.b.c.d (SIIT), 64:ff9b::a.b.c.d and 64:ff9b:1::/48 (NAT64)
  if (range === 'rfc6145' || range === 'rfc6052') return fromWords(p[6]!, p[7]!)
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 1) return fromWords(p[6]!, p[7]!)
  // 2002:AABB:CCDD::/48 (6to4)
  if (range === '6to4') return fromWords(p[1]!, p[2]!)
  // ::a.b.c.d (IPv4-compatible, deprecated), excluding :: and ::1
  if (p.slice(0, 6).every((w) => w === 0)) return fromWords(p[6]!, p[7]!)
  return undefined
}

/**
 * True when `ip` (a literal as URL or DNS gives it) is a public unicast address: not loopback,
 * private, link-local, multicast, unspecified, broadcast, shared (CGN), documentation or
 * otherwise reserved, in IPv4 or IPv6 (IPv6 must be global unicast 2000::/3, and an IPv4
 * address carried in a mapped, compatible, NAT64 or 6to4 form is judged as itself; Teredo is
 * refused). Anything that does not parse is not public.
 */
export function isPublicAddress (ip: string): boolean {
  let literal = ip.trim()
  if (literal.startsWith('[') && literal.endsWith(']')) literal = literal.slice(1, -1)
  if (literal.includes('%')) return false // zone ids belong to link-local use
  // Only canonical literals (isIP): ipaddr.parse would also take shorthand like "127.1", but
  // the URL parser has already normalised those and DNS never returns them.
  if (isIP(literal) === 0) return false
  let addr: ipaddr.IPv4 | ipaddr.IPv6
  try {
    addr = ipaddr.parse(literal)
  } catch {
    return false
  }
  if (addr.kind() === 'ipv4') return publicV4(addr as ipaddr.IPv4)
  const v6 = addr as ipaddr.IPv6
  const v4 = embeddedV4(v6)
  if (v4 !== undefined) return publicV4(v4)
  if (v6.range() !== 'unicast') return false
  return v6.match(GLOBAL_UNICAST_V6)
}

export type Resolver = (host: string) => Promise<string[]>

/** All addresses a name resolves to (A and AAAA, as the OS resolver gives them). */
export const systemResolver: Resolver = (host) => new Promise((resolve, reject) => {
  dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => {
    if (err !== null) reject(err)
    else resolve(addresses.map((a) => a.address))
  })
})

export interface CheckOptions {
  allowedHosts: AllowedHosts
  resolver?: Resolver
  /** Longest URL accepted (default 2048). */
  maxLength?: number
}

/**
 * Validates an outbound URL for registration: parses it, requires https (or an allowed
 * host:port), refuses credentials in it, and refuses a host that is or resolves to a
 * non-public address. Throws OutboundUrlError with a reason a client can read.
 */
export async function checkOutboundUrl (value: string, opts: CheckOptions): Promise<URL> {
  const url = parseOutboundUrl(value, opts)
  if (opts.allowedHosts.has(hostPort(url))) return url
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) !== 0) {
    if (!isPublicAddress(host)) throw new OutboundUrlError('URL host is not a public address')
    return url
  }
  let addresses: string[]
  try {
    addresses = await (opts.resolver ?? systemResolver)(host)
  } catch {
    throw new OutboundUrlError('URL host does not resolve')
  }
  if (addresses.length === 0) throw new OutboundUrlError('URL host does not resolve')
  if (!addresses.every(isPublicAddress)) throw new OutboundUrlError('URL host resolves to a non-public address')
  return url
}

/** The synchronous part of checkOutboundUrl: syntax, scheme, credentials, literal addresses. */
export function parseOutboundUrl (value: string, opts: CheckOptions): URL {
  if (typeof value !== 'string' || value.length === 0) throw new OutboundUrlError('URL is empty')
  if (value.length > (opts.maxLength ?? 2048)) throw new OutboundUrlError('URL is too long')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new OutboundUrlError('not a URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundUrlError('URL must be https')
  if (url.username !== '' || url.password !== '') throw new OutboundUrlError('URL must not carry credentials')
  if (url.hostname === '') throw new OutboundUrlError('URL has no host')
  const allowed = opts.allowedHosts.has(hostPort(url))
  if (url.protocol === 'http:' && !allowed) throw new OutboundUrlError('URL must be https')
  return url
}

/**
 * A `lookup` for http(s).Agent that resolves as usual and then refuses the connection when
 * any resolved address is not public: the registration-time check repeated at connect time,
 * on the very addresses the socket will use.
 */
export function guardedLookup (resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return ((hostname: string, options: { all?: boolean, family?: number | string }, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname, { ...options, all: true } as never, (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err !== null) { callback(err, ''); return }
      const bad = addresses.find((a) => !isPublicAddress(a.address))
      if (bad !== undefined || addresses.length === 0) {
        const e = new OutboundUrlError(`refused to connect to ${hostname}: resolves to a non-public address`) as NodeJS.ErrnoException
        e.code = 'EOUTBOUNDREFUSED'
        callback(e, '')
        return
      }
      if (options.all === true) callback(null, addresses)
      else callback(null, addresses[0]!.address, addresses[0]!.family)
    })
  }) as LookupFunction
}

export interface OutboundAgents {
  /** Connections whose names are re-checked at connect time. */
  guarded: { http: http.Agent, https: https.Agent }
  /** For OUTBOUND_ALLOWED_HOSTS only. */
  plain: { http: http.Agent, https: https.Agent }
  destroy: () => void
}

export function createOutboundAgents (opts: { maxSockets?: number, lookup?: typeof dnsLookup } = {}): OutboundAgents {
  const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 64, timeout: 30_000 }
  const lookup = guardedLookup(opts.lookup)
  const agents = {
    guarded: { http: new http.Agent({ ...common, lookup }), https: new https.Agent({ ...common, lookup }) },
    plain: { http: new http.Agent(common), https: new https.Agent(common) }
  }
  return {
    ...agents,
    destroy: () => {
      for (const a of [agents.guarded.http, agents.guarded.https, agents.plain.http, agents.plain.https]) a.destroy()
    }
  }
}

export interface OutboundRequest {
  method?: string
  headers?: Record<string, string | number>
  body?: string | Buffer
  /** Whole request, connect to last byte (default 10 s). */
  timeoutMs?: number
  /** Response bodies past this are cut off (default 64 KiB); `truncated` says so. */
  maxResponseBytes?: number
}

export interface OutboundResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  truncated: boolean
}

/**
 * One request to an outbound URL: checked again (scheme, literal addresses; names through the
 * guarded agent's lookup), no redirects followed (a 3xx is returned as is), bounded in time
 * and response size. Rejects with OutboundUrlError when refused, or the network error.
 */
export async function outboundRequest (target: string | URL, req: OutboundRequest, ctx: { allowedHosts: AllowedHosts, agents: OutboundAgents }): Promise<OutboundResponse> {
  const url = parseOutboundUrl(String(target), { allowedHosts: ctx.allowedHosts })
  const allowed = ctx.allowedHosts.has(hostPort(url))
  const literal = url.hostname.replace(/^\[|\]$/g, '')
  // Node skips `lookup` for literal addresses, so those are judged here.
  if (!allowed && isIP(literal) !== 0 && !isPublicAddress(literal)) {
    throw new OutboundUrlError('URL host is not a public address')
  }
  const set = allowed ? ctx.agents.plain : ctx.agents.guarded
  const isHttps = url.protocol === 'https:'
  const timeoutMs = req.timeoutMs ?? 10_000
  const maxBytes = req.maxResponseBytes ?? 64 * 1024
  return await new Promise<OutboundResponse>((resolve, reject) => {
    const mod = isHttps ? https : http
    const r = mod.request(url, {
      method: req.method ?? 'POST',
      headers: req.headers,
      agent: isHttps ? set.https : set.http
    }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      let truncated = false
      res.on('data', (chunk: Buffer) => {
        if (truncated) return
        if (size + chunk.length > maxBytes) {
          chunks.push(chunk.subarray(0, maxBytes - size))
          size = maxBytes
          truncated = true
          clearTimeout(timer)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated })
          res.destroy()
          return
        }
        chunks.push(chunk)
        size += chunk.length
      })
      res.on('end', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated })
      })
      res.on('error', (err) => { clearTimeout(timer); reject(err) })
    })
    const timer = setTimeout(() => {
      r.destroy(Object.assign(new Error(`outbound request timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }))
    }, timeoutMs)
    r.on('error', (err) => { clearTimeout(timer); reject(err) })
    r.end(req.body)
  })
}
