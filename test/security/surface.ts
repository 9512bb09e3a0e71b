import type { Test } from 'tap'
import type { App } from '../../src/app.js'
import { ErrorCodes } from '../../src/lib/errors.js'

/**
 * The attack surface as the app itself reports it: every HTTP route (from Fastify's route
 * tree) and every socket event (from the realtime plugin), so a route or an event added
 * later is fuzzed and must get an authorisation rule without anyone editing these tests.
 */

export interface RouteInfo {
  method: string
  /** Fastify's pattern, e.g. `/api/users/:id`. */
  url: string
  /** `${method} ${url}` */
  key: string
  params: string[]
}

/**
 * Parses `app.printRoutes({ commonPrefix: false })`: one node per line, four characters of
 * indentation per level, a node's path is its parent's plus its own segment, methods in
 * parentheses. HEAD routes Fastify adds for every GET are left out (same handler as the GET).
 */
export function listRoutes (app: App): RouteInfo[] {
  const tree = app.printRoutes({ commonPrefix: false })
  const stack: string[] = []
  const routes: RouteInfo[] = []
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([^)]*)\))?$/.exec(line)
    if (m === null) continue
    const depth = (m[1] ?? '').length / 4
    const segment = m[2] ?? ''
    const url = (depth > 0 ? stack[depth - 1] ?? '' : '') + segment
    stack[depth] = url
    stack.length = depth + 1
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (method === 'HEAD') continue
      const params = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((p) => p[1] ?? '')
      routes.push({ method, url, key: `${method} ${url}`, params })
    }
  }
  return routes.sort((a, b) => a.key.localeCompare(b.key))
}

/** A safety net for the parser: every parsed route must be one Fastify knows, and there must be many. */
export function checkRouteList (t: Test, app: App, routes: RouteInfo[]): void {
  t.ok(routes.length >= 30, `the route tree parsed into ${routes.length} routes`)
  // hasRoute compares patterns and does not know wildcard ones
  const unknown = routes.filter((r) => !r.url.includes('*') && !app.hasRoute({ method: r.method as 'GET', url: r.url }))
  t.same(unknown.map((r) => r.key), [], 'every parsed route is registered in Fastify')
  t.ok(routes.some((r) => r.key === 'POST /api/conversations/:id/messages'), 'a known route is in the list')
}

/** Socket events the server handles, as registered through the realtime facade. */
export function listEvents (app: App): string[] {
  return app.realtime.eventNames().sort()
}

export const CODES = Object.keys(ErrorCodes) as Array<keyof typeof ErrorCodes>

/**
 * Status a REST error of that code may carry: the catalogue's, plus 415 for VALIDATION (an
 * unsupported content type, src/plugins/error-handler.ts) and 503 for INTERNAL (database down).
 */
export function statusMatches (code: string, status: number): boolean {
  if (code === 'INTERNAL') return status === 500 || status === 503
  if (code === 'VALIDATION' && status === 415) return true
  return ErrorCodes[code as keyof typeof ErrorCodes] === status
}

/** `{code, message}`, plus a non-negative integer `retryAfterMs` on RATE_LIMITED only. */
function errorKeysOk (error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const e = error as Record<string, unknown>
  const keys = Object.keys(e).sort().join()
  if (keys === 'code,message') return true
  return keys === 'code,message,retryAfterMs' && e.code === 'RATE_LIMITED' && Number.isInteger(e.retryAfterMs) && (e.retryAfterMs as number) >= 0
}

/**
 * Why a REST reply is not a documented error, or undefined when it is: JSON body exactly
 * `{ error: { code, message } }`, code from the catalogue, HTTP status matching the code.
 */
export function restErrorProblem (res: { statusCode: number, body: string, headers: Record<string, unknown> }): string | undefined {
  let body: unknown
  try {
    body = JSON.parse(res.body)
  } catch {
    return `status ${res.statusCode}: body is not JSON: ${res.body.slice(0, 120)}`
  }
  if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) return `content-type ${String(res.headers['content-type'])}`
  if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'error') return `not {error}: ${res.body.slice(0, 160)}`
  const error = (body as { error: unknown }).error
  if (!errorKeysOk(error)) return `error is not {code,message}: ${res.body.slice(0, 160)}`
  const { code, message } = error as { code: unknown, message: unknown }
  if (typeof code !== 'string' || !(CODES as string[]).includes(code)) return `code ${String(code)} is not in the catalogue`
  if (typeof message !== 'string' || message === '') return 'message is not a non-empty string'
  if (!statusMatches(code, res.statusCode)) return `status ${res.statusCode} does not match ${code}`
  return undefined
}

/** Why a socket ack is not `{ ok: false, error: { code, message } }` with a catalogue code. */
export function ackErrorProblem (ack: unknown): string | undefined {
  if (typeof ack !== 'object' || ack === null) return `ack is ${String(ack)}`
  const a = ack as Record<string, unknown>
  if (Object.keys(a).sort().join() !== 'error,ok' || a.ok !== false) return `not {ok:false,error}: ${JSON.stringify(ack).slice(0, 160)}`
  const error = a.error
  if (!errorKeysOk(error)) return `error is not {code,message}: ${JSON.stringify(ack).slice(0, 160)}`
  const { code, message } = error as { code: unknown, message: unknown }
  if (typeof code !== 'string' || !(CODES as string[]).includes(code)) return `code ${String(code)} is not in the catalogue`
  if (typeof message !== 'string' || message === '') return 'message is not a non-empty string'
  return undefined
}

/** Tables of the app's schema with their columns (read from the database, so a new table is covered too). */
const tableLists = new WeakMap<App, Promise<Array<{ name: string, columns: string[] }>>>()
async function tables (app: App): Promise<Array<{ name: string, columns: string[] }>> {
  let list = tableLists.get(app)
  if (list === undefined) tableLists.set(app, list = readTables(app))
  return await list
}
async function readTables (app: App): Promise<Array<{ name: string, columns: string[] }>> {
  return await app.prisma.$queryRawUnsafe<Array<{ name: string, columns: string[] }>>(
    `SELECT t.table_name AS name, array(SELECT c.column_name::text FROM information_schema.columns c WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name) AS columns
     FROM information_schema.tables t WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY t.table_name`)
}

/**
 * Where the database's writes stand: the xmax of a snapshot, one past the newest transaction
 * that has ended. Every insert, update or delete runs in a transaction that takes an id, so
 * while this stays the same no row can have changed (reads take no id and do not move it).
 * It also moves for writes that changed nothing (a row locked, a transaction rolled back) and,
 * on PostgreSQL, for other databases' writes: then the digest is made again.
 */
async function writeClock (app: App): Promise<string> {
  const [row] = await app.prisma.$queryRawUnsafe<Array<{ x: string }>>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x')
  return row!.x
}

/** The last digest made for each app and columns left out, with the write clock read before it. */
const lastDigests = new WeakMap<App, Map<string, { clock: string, digest: Record<string, string> }>>()

/**
 * Row count and a digest of the full contents of every table, through the app's Prisma
 * client: equal snapshots mean nothing was inserted, updated or deleted anywhere.
 * `ignoreColumns` leaves out columns a test legitimately moves (users.last_seen_at when a
 * socket disconnects). While no transaction has written since the last digest of this app,
 * that digest is returned instead of reading every row again (the authorisation matrix takes
 * hundreds of snapshots, most around requests that are refused before any write).
 */
export async function snapshot (app: App, opts: { ignoreColumns?: string[] } = {}): Promise<Record<string, string>> {
  const key = JSON.stringify(opts.ignoreColumns ?? [])
  let digests = lastDigests.get(app)
  if (digests === undefined) lastDigests.set(app, digests = new Map())
  // Read before the digest: a write that lands between the two moves the clock past this one,
  // so the next call makes a new digest rather than trusting this one.
  const clock = await writeClock(app)
  const last = digests.get(key)
  if (last?.clock === clock) return { ...last.digest }
  const digest = await digestTables(app, opts.ignoreColumns ?? [])
  digests.set(key, { clock, digest })
  return { ...digest }
}

async function digestTables (app: App, ignoreColumns: string[]): Promise<Record<string, string>> {
  // A row as text, without the left-out columns of its table: through jsonb only where the
  // table has one of them (about five times the cost of the row's own text).
  const row = (columns: string[]): string => {
    const ignored = ignoreColumns.filter((c) => columns.includes(c)).map((c) => `'${c.replaceAll("'", "''")}'`).join(',')
    return ignored === '' ? 't::text' : `(to_jsonb(t) - ARRAY[${ignored}]::text[])::text`
  }
  // One statement for all tables: one round trip. The digest is the sum of each row's 64-bit
  // hash, which needs no sort and no concatenated string.
  const sql = (await tables(app)).map(({ name, columns }) =>
    `SELECT '${name.replaceAll("'", "''")}' AS name, count(*)::int AS n, coalesce(sum(hashtextextended(${row(columns)}, 0)::numeric), 0)::text AS h FROM "${name.replaceAll('"', '""')}" t`
  ).join(' UNION ALL ')
  const rows = await app.prisma.$queryRawUnsafe<Array<{ name: string, n: number, h: string }>>(sql)
  return Object.fromEntries(rows.map((r) => [r.name, `${r.n} rows, ${r.h}`]))
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** A concrete URL for a route pattern, with each `:param` (and a `*`) replaced. */
export function fillUrl (route: RouteInfo, value: (param: string) => string): string {
  return route.url
    .replace(/:([A-Za-z0-9_]+)/g, (_m, p: string) => value(p))
    .replace(/\*$/, () => value('*'))
}
