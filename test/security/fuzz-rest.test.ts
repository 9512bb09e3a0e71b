import t from 'tap'
import fc from 'fast-check'
import { randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { build, listen, registerUser } from '../helper.js'
import { badTokens } from '../modules/auth/tokens.js'
import { badParam, deepJsonText, invalidObjectJson, nastyString, nastyValue, neverStorable, QUERY_NAMES, shapedValue } from './arbitraries.js'
import { KNOWN_BUGS } from './known-bugs.js'
import { checkRouteList, fillUrl, listRoutes, restErrorProblem, snapshot, type RouteInfo } from './surface.js'
import type { App } from '../../src/app.js'
import { makeAdmin, makeKey } from '../modules/server-api/helpers.js'

/**
 * Property-based fuzzing of every HTTP route the app registers (read from the app, so a new
 * route is fuzzed without editing this file). Each request is certainly invalid or aimed at
 * ids that do not exist; whatever it is, the reply must be a documented error (or a read),
 * never a 5xx, the process must keep answering, and no table may change.
 */

const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 30)
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)

/** A WebAuthn response as the browser's JSON: random bytes where binary goes, client data that may or may not be JSON. */
function webauthnResponse (kind: 'create' | 'get'): fc.Arbitrary<unknown> {
  const b64 = (max: number) => fc.uint8Array({ minLength: 1, maxLength: max }).map((b) => Buffer.from(b).toString('base64url'))
  const clientData = fc.oneof(
    b64(200),
    fc.record({ type: fc.constantFrom('webauthn.create', 'webauthn.get', 'x'), challenge: fc.oneof(b64(48), nastyString({ surrogates: false })), origin: fc.constantFrom('http://localhost', 'https://evil.example') })
      .map((d) => Buffer.from(JSON.stringify(d)).toString('base64url'))
  )
  const response = kind === 'create'
    ? fc.record({ clientDataJSON: clientData, attestationObject: b64(300) })
    : fc.record({ clientDataJSON: clientData, authenticatorData: b64(100), signature: b64(80) })
  return fc.record({ id: b64(64), rawId: b64(64), type: fc.constant('public-key'), response, clientExtensionResults: fc.constant({}) })
}

/** Bodies with a valid shape for routes whose path names something; with random ids they reach the service and must be refused there. */
const skeletons: Record<string, fc.Arbitrary<unknown>> = {
  'POST /api/conversations/:id/messages': fc.record({
    clientMsgId: fc.oneof(fc.uuid(), nastyString({ surrogates: false })),
    type: fc.constantFrom('text', 'image', 'file', 'custom', 'poll'),
    content: nastyValue({ surrogates: !KNOWN_BUGS.loneSurrogateContent, maxDepth: KNOWN_BUGS.deepContent ? 500 : 2000 })
  }),
  'POST /api/conversations/:id/read': fc.record({ seq: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), nastyValue({ maxDepth: 50 })) }),
  'POST /api/groups/:id/members': fc.record({ userIds: fc.array(fc.uuid(), { maxLength: 5 }) }),
  // Retention: out-of-bounds, fractional, huge and non-numeric days (NUL and friends through nastyValue).
  'PUT /api/groups/:id/retention': fc.record({ days: fc.oneof(fc.integer(), fc.double(), fc.constant(null), fc.constant(1e308), nastyValue({ maxDepth: 50 })) }),
  'PATCH /api/conversations/:id/messages/:messageId': fc.record({ content: nastyValue({ surrogates: !KNOWN_BUGS.loneSurrogateContent, maxDepth: 50 }) }),
  'POST /api/conversations/:id/pins': fc.record({ messageId: fc.uuid() }),
  'PUT /api/messages/:id/poll/vote': fc.record({ optionIndexes: fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { maxLength: 10 }) }),
  'POST /api/conversations/:id/clear': fc.record({ uptoSeq: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), nastyValue({ maxDepth: 50 })) }, { requiredKeys: [] }),
  // Passkeys: well-formed WebAuthn JSON around random bytes and random client data; never a challenge this server issued.
  'POST /api/auth/login/passkey': fc.record({ response: webauthnResponse('get') }),
  'POST /api/auth/passkeys/register': fc.record({ response: webauthnResponse('create'), name: fc.oneof(nastyString({ surrogates: false }), fc.constant('Laptop')) }, { requiredKeys: ['response'] }),
  'PATCH /api/auth/passkeys/:id': fc.record({ name: nastyString({ surrogates: false }) }),
  'DELETE /api/auth/passkeys/:id': fc.record({ password: fc.oneof(nastyString({ surrogates: false }), fc.constant('correct horse battery')) })
}

interface FuzzRequest {
  auth: { kind: 'valid' | 'none' | 'bad', headers: Record<string, string> }
  params: Record<string, string>
  query: Array<[string, string]>
  body: { contentType?: string, payload?: string | Buffer, skeleton: boolean }
}

function requestArb (route: RouteInfo, token: string, userId: string): fc.Arbitrary<FuzzRequest> {
  const tokens = badTokens(userId).map(([, tok]) => tok)
  const auth = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ kind: 'valid' as const, headers: { authorization: `Bearer ${token}` } }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const, headers: {} }) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom(...tokens).map((tok) => `Bearer ${tok}`),
        fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, '')}x`),
        fc.constantFrom('Bearer', 'Basic Zm9vOmJhcg==', `Token ${token}`, `Bearer ${token}x`, `Bearer ${token.slice(0, -2)}`, 'Bot', `Bot ${token}`, `Bot rbot_${'A'.repeat(43)}`)
      ).map((authorization) => ({ kind: 'bad' as const, headers: { authorization } }))
    }
  )
  const params = fc.record(Object.fromEntries([...route.params, ...(route.url.endsWith('*') ? ['*'] : [])]
    .map((p) => [p, fc.oneof(badParam, fc.uuid())])) as Record<string, fc.Arbitrary<string>>)
  const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_NAMES, '__proto__', 'constructor[prototype][x]'), fc.string({ maxLength: 6 })),
    fc.oneof(nastyString({ surrogates: false }), fc.integer().map(String))), { maxLength: 4 })
  const skeleton = skeletons[route.key]
  const body = fc.oneof(
    fc.constant({ skeleton: false }),
    invalidObjectJson().map((payload) => ({ contentType: 'application/json', payload, skeleton: false })),
    deepJsonText().map((payload) => ({ contentType: 'application/json', payload, skeleton: false })),
    deepJsonText(100, 20_000).map((deep) => ({ contentType: 'application/json', payload: `{"zz_unknown":${deep},"content":${deep}}`, skeleton: false })),
    nastyValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
      .map((v) => ({ contentType: 'application/json', payload: JSON.stringify(v) ?? 'null', skeleton: false })),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ contentType: 'application/json', payload: Buffer.from([0x7b, 0x22, 0xff, 0xfe, ...bytes]), skeleton: false })),
    fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/json; charset=utf-16', 'application/xml', 'application/octet-stream'),
      fc.string({ maxLength: 200 })).map(([contentType, payload]) => ({ contentType, payload, skeleton: false })),
    fc.constantFrom('{', '{"a":', '[1,2', '{"a":1}{', 'nul', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}')
      .map((payload) => ({ contentType: 'application/json', payload, skeleton: false })),
    fc.integer({ min: 256 * 1024, max: 300 * 1024 }).map((n) => ({ contentType: 'application/json', payload: `{"x":"${'a'.repeat(n)}"}`, skeleton: false })),
    ...(skeleton === undefined ? [] : [skeleton.map((v) => ({ contentType: 'application/json', payload: JSON.stringify(v), skeleton: true }))])
  )
  return fc.record({ auth, params, query, body })
}

const isUuid = (s: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)

async function send (app: App, route: RouteInfo, req: FuzzRequest) {
  const path = fillUrl(route, (p) => req.params[p] ?? '')
  const qs = req.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
  const headers: Record<string, string> = { ...req.auth.headers }
  if (route.method === 'OPTIONS' && KNOWN_BUGS.strictPreflight) Object.assign(headers, { origin: 'https://evil.example', 'access-control-request-method': 'POST' })
  if (req.body.contentType !== undefined) headers['content-type'] = req.body.contentType
  return await app.inject({
    method: route.method as 'GET',
    url: qs === '' ? path : `${path}?${qs}`,
    headers,
    ...(req.body.payload === undefined ? {} : { payload: req.body.payload })
  })
}

t.test('every route: random input gets a documented error or a read, never a 5xx, and writes nothing', async (t) => {
  const app = await build(t)
  const routes = listRoutes(app)
  checkRouteList(t, app, routes)
  const user = await registerUser(app)

  // Routes that refuse a request without a token: with a bad one they must say UNAUTHORIZED, whatever else is wrong.
  const needsAuth = new Set<string>()
  for (const route of routes) {
    const res = await app.inject({ method: route.method as 'GET', url: fillUrl(route, () => randomUUID()) })
    if (res.statusCode === 401) needsAuth.add(route.key)
  }
  t.ok(needsAuth.size >= 25, `${needsAuth.size} routes need a token`)

  const before = await snapshot(app)
  const successes = new Map<string, number>()
  for (const route of routes) {
    const started = Date.now()
    await fc.assert(fc.asyncProperty(requestArb(route, user.accessToken, user.id), async (req) => {
      const res = await send(app, route, req)
      const what = `${route.key} -> ${res.statusCode} ${res.body.slice(0, 200)}`
      if (req.auth.kind !== 'valid' && needsAuth.has(route.key)) {
        if (res.statusCode !== 401) throw new Error(`a bad token was not refused: ${what}`)
      }
      if (res.statusCode >= 500) throw new Error(`server error on bad input: ${what}`)
      if (res.statusCode >= 400) {
        const problem = restErrorProblem(res)
        if (problem !== undefined) throw new Error(`${problem}: ${what}`)
        return
      }
      // A success: only reads, or requests that named nothing that exists.
      const namesNothing = route.params.length > 0 && route.params.every((p) => isUuid(req.params[p] ?? ''))
      if (!['GET', 'OPTIONS'].includes(route.method) && !namesNothing) throw new Error(`a write accepted random input: ${what}`)
      successes.set(route.key, (successes.get(route.key) ?? 0) + 1)
    }), { numRuns: RUNS_PER_ROUTE, seed: SEED, endOnFailure: true })
    const health = await app.inject({ method: 'GET', url: '/healthz' })
    if (health.statusCode !== 200) t.fail(`health after ${route.key}: ${health.statusCode}`)
    t.comment(`${route.key}: ${Date.now() - started} ms`)
  }
  t.same(await snapshot(app), before, 'no table changed (row counts and contents)')
  t.comment(`successful replies (reads, or unknown ids answered idempotently): ${JSON.stringify(Object.fromEntries(successes))}`)
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 200, 'the database still answers')
})

interface OpenApiOperation { parameters?: Array<{ in: string, name: string, schema?: unknown }>, requestBody?: { content?: Record<string, { schema?: unknown }> } }

/** Whether any string in a JSON value cannot be stored (NUL, lone surrogate). */
function hasUnstorable (v: unknown): boolean {
  if (typeof v === 'string') return neverStorable(v)
  if (Array.isArray(v)) return v.some(hasUnstorable)
  if (typeof v === 'object' && v !== null) return Object.entries(v).some(([k, x]) => neverStorable(k) || hasUnstorable(x))
  return false
}

t.test('every route: valid-shaped input with tricky text in every string field never gets a 5xx; NUL and lone surrogates never pass', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  // The server API takes a server key with every scope, so its schemas are reached too.
  const serverKey = await makeKey(app, await makeAdmin(app))
  const authOf = (path: string): Record<string, string> => path.startsWith('/api/server/') ? serverKey.auth : user.auth
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, OpenApiOperation>> }>()
  let requests = 0
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters ?? []).filter((p) => p.in === 'path')
      const query = (op.parameters ?? []).filter((p) => p.in === 'query' && p.name !== 'token')
      const body = op.requestBody?.content?.['application/json']?.schema
      if (body === undefined && query.length === 0 && !params.some((p) => (p.schema as { format?: string } | undefined)?.format !== 'uuid')) continue
      // Lone surrogates cannot be percent-encoded: URLs get the rest of the tricky text.
      const arb = fc.record({
        params: fc.record(Object.fromEntries(params.map((p) => [p.name, shapedValue(p.schema, { surrogates: false })]))),
        query: fc.record(Object.fromEntries(query.map((p) => [p.name, shapedValue(p.schema, { surrogates: false })])), { requiredKeys: [] }),
        body: body === undefined ? fc.constant(undefined) : shapedValue(body)
      })
      await fc.assert(fc.asyncProperty(arb, async (req) => {
        const url = path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(String(req.params[name])))
        const qs = Object.entries(req.query).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')
        const res = await app.inject({
          method: method.toUpperCase() as 'GET',
          url: qs === '' ? url : `${url}?${qs}`,
          headers: authOf(path),
          ...(req.body === undefined ? {} : { payload: JSON.stringify(req.body), headers: { ...authOf(path), 'content-type': 'application/json' } })
        })
        requests++
        const what = `${method.toUpperCase()} ${path} -> ${res.statusCode} ${res.body.slice(0, 200)}`
        if (res.statusCode >= 500) throw new Error(`server error on tricky text: ${what}`)
        if (res.statusCode >= 400) {
          const problem = restErrorProblem(res)
          if (problem !== undefined) throw new Error(`${problem}: ${what}`)
        } else if (hasUnstorable(req.body) || Object.values(req.query).some(hasUnstorable) || Object.values(req.params).some(hasUnstorable)) {
          throw new Error(`NUL or a lone surrogate was accepted: ${what}`)
        }
      }), { numRuns: RUNS_PER_ROUTE, seed: SEED, endOnFailure: true })
    }
  }
  t.ok(requests >= 30 * Math.min(RUNS_PER_ROUTE, 10), `${requests} requests`)
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the server still answers')
})

t.test('raw HTTP: bytes no client library would send leave the server up and answer with an error', async (t) => {
  const { app, url } = await listen(t)
  const { port } = new URL(url)
  const user = await registerUser(app)

  const raw = async (method: string, path: string, body: Buffer = Buffer.alloc(0)): Promise<number> => await new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    })
    req.on('error', () => { resolve(0) })
    req.end(body)
  })
  // Invalid UTF-8 in a JSON body that would otherwise be valid: decoded leniently (U+FFFD,
  // as Node decodes) or refused, never a server error.
  for (const bytes of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]) {
    const payload = Buffer.concat([Buffer.from('{"displayName":"x'), Buffer.from(bytes), Buffer.from('"}')])
    const status = await raw('PATCH', '/api/users/me', payload)
    t.ok(status === 200 || status === 400, `invalid UTF-8 ${Buffer.from(bytes).toString('hex')} in a body: ${status}`)
  }
  const me = await app.inject({ method: 'GET', url: '/api/users/me', headers: user.auth })
  t.notOk(/[\ud800-\udfff]/.test(me.json().displayName as string), 'what was stored is well-formed UTF-16 (no lone surrogate)')
  const mid = await snapshot(app)
  // A body far over the limit is cut off, the connection may be dropped: still no crash.
  const status = await raw('POST', '/api/groups', Buffer.alloc(2 * 1024 * 1024, 0x41))
  t.ok(status === 413 || status === 0, `an oversized body is refused (${status})`)

  const res = await fetch(`${url}/healthz`)
  t.equal(res.status, 200, 'the server still answers')
  t.same(await snapshot(app), mid, 'nothing written by the oversized body')
})

t.test('membership routes on a group the caller manages: any text as an invite code or id, or as a user to ban or unban, is a clean refusal that changes nothing', async (t) => {
  const app = await build(t)
  const [O, R] = [await registerUser(app), await registerUser(app)]
  const call = async (method: string, path: string, who: { auth: Record<string, string> }, payload?: unknown) =>
    await app.inject({ method: method as 'GET', url: `/api${path}`, headers: who.auth, ...(payload === undefined ? {} : { payload: payload as any }) })
  const g = (await call('POST', '/groups', O, { name: 'fuzzed', memberIds: [R.id] })).json().id as string
  const live = (await call('POST', `/groups/${g}/invites`, O, {})).json()
  t.equal((await call('DELETE', `/groups/${g}/members/${R.id}`, O)).statusCode, 200)
  const before = await snapshot(app)
  const encoded = nastyString({ surrogates: false }).map(encodeURIComponent).filter((s) => s !== '' && s !== '.' && s !== '..' && s.length <= 100)
  await fc.assert(fc.asyncProperty(fc.oneof(badParam, encoded, fc.uuid()), async (path) => {
    for (const [method, url] of [['DELETE', `/groups/${g}/invites/${path}`], ['DELETE', `/groups/${g}/bans/${path}`], ['PUT', `/groups/${g}/bans/${path}`]] as const) {
      const res = await call(method, url, O)
      if (![400, 404].includes(res.statusCode)) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
      if (res.json().error?.code === undefined) throw new Error(`${url}: no error code`)
    }
  }), { numRuns: 60 })
  t.same(await snapshot(app), before, 'no table changed')
  t.equal((await call('GET', `/invites/${live.code as string}`, R)).statusCode, 200, 'the invite still works')
})
