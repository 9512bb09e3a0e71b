// Fuzzing the OpenID Connect routes with a real provider configured (the other fuzzers' app has
// none, so there every provider id is unknown): random callback queries, one-time codes and
// provider ids. About 20 s at load average 15: the provider is real and each run is a request.
import t from 'tap'
import fc from 'fast-check'
import { build, registerUser } from '../helper.js'
import { CLIENT_ID, CLIENT_SECRET, startProvider } from '../modules/auth/oidc-provider.js'
import { badParam, nastyString } from './arbitraries.js'
import { restErrorProblem, snapshot } from './surface.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 30)
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)
const PUBLIC = 'http://relay.test'

t.test('OIDC routes: random input is a clean refusal (callbacks: a redirect with an error), no account or link is made', async (t) => {
  const provider = await startProvider(t)
  provider.addClient(`${PUBLIC}/api/auth/oidc/local/callback`)
  const app = await build(t, {
    OIDC_PROVIDERS: JSON.stringify([{ id: 'local', name: 'Local', issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }]),
    OIDC_PUBLIC_URL: PUBLIC,
    OUTBOUND_ALLOWED_HOSTS: provider.hostPort
  })
  const u = await registerUser(app)
  // One real start, so that a state row exists to be (not) hit.
  t.equal((await app.inject({ method: 'GET', url: '/api/auth/oidc/local/start' })).statusCode, 200)
  const before = await snapshot(app)
  const text = fc.oneof(nastyString({ surrogates: false }), fc.string({ maxLength: 3000 }), fc.base64String({ maxLength: 64 }))

  await fc.assert(fc.asyncProperty(fc.dictionary(fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', 'session_state', 'x', '__proto__'), text, { maxKeys: 6 }), async (query) => {
    const qs = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
    const res = await app.inject({ method: 'GET', url: `/api/auth/oidc/local/callback?${qs}` })
    const what = `callback ?${qs.slice(0, 200)} -> ${res.statusCode} ${String(res.headers.location ?? res.body).slice(0, 200)}`
    if (res.statusCode === 302) {
      if (!/^http:\/\/relay\.test\/#oidc-error=[A-Z_]+&oidc-reason=[a-z_]+$/.test(String(res.headers.location))) throw new Error(`not an error redirect: ${what}`)
      return
    }
    if (res.statusCode !== 400 && res.statusCode !== 429) throw new Error(what)
    const problem = restErrorProblem(res)
    if (problem !== undefined) throw new Error(`${problem}: ${what}`)
  }), { numRuns: RUNS * 3, seed: SEED, endOnFailure: true })

  await fc.assert(fc.asyncProperty(fc.oneof(text, fc.jsonValue()), async (code) => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/oidc/exchange', payload: { code } as object })
    const what = `exchange ${JSON.stringify(code).slice(0, 100)} -> ${res.statusCode} ${res.body.slice(0, 200)}`
    if (res.statusCode !== 400 && res.statusCode !== 401) throw new Error(what)
    const problem = restErrorProblem(res)
    if (problem !== undefined) throw new Error(`${problem}: ${what}`)
  }), { numRuns: RUNS * 2, seed: SEED, endOnFailure: true })

  await fc.assert(fc.asyncProperty(fc.oneof(badParam, text.map(encodeURIComponent)).filter((s) => s !== '' && s !== 'local' && s !== '.' && s !== '..' && s.length < 200), async (id) => {
    for (const [method, url, auth] of [['GET', `/api/auth/oidc/${id}/start`, false], ['GET', `/api/auth/oidc/${id}/callback?state=a&code=b`, false], ['POST', `/api/auth/oidc/${id}/link`, true], ['DELETE', `/api/auth/oidc/${id}/link`, true]] as const) {
      const res = await app.inject({ method, url, headers: auth ? u.auth : {} })
      if (![400, 404].includes(res.statusCode)) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body.slice(0, 200)}`)
      const problem = restErrorProblem(res)
      if (problem !== undefined) throw new Error(`${problem}: ${method} ${url}`)
    }
  }), { numRuns: RUNS, seed: SEED, endOnFailure: true })

  t.same(await snapshot(app), before, 'no table changed: no account, link, one-time code, and the real state unspent')
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})
