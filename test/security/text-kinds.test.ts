// suite: default only — walks the route and event schemas; no store is involved
import t from 'tap'
import { Type } from 'typebox'
import { build } from '../helper.js'
import { compileRequestSchema, unclassifiedStrings } from '../../src/lib/schema-compiler.js'
import { listEvents, listRoutes } from './surface.js'
import { OidcCallbackQuery, ProviderParams } from '../../src/modules/auth/oidc-schemas.js'

/** Routes kept out of the OpenAPI document (no client calls them), with the schemas they take. */
const HIDDEN: Record<string, Record<string, unknown>> = {
  'GET /api/auth/oidc/:provider/callback': { path: ProviderParams, query: OidcCallbackQuery }
}

/**
 * Every string a client sends is declared as a kind of text (src/lib/text-schemas.ts: `text`
 * or `label`) or as something narrower (uuid, date-time, uri, a fixed value), so nobody adds a
 * name field that skips the label rules. Routes are read from the served OpenAPI document
 * (every /api route is checked to be in it), events from the realtime plugin.
 */

interface Parameter { in: string, name: string, schema?: unknown }
interface Operation { parameters?: Parameter[], requestBody?: { content?: Record<string, { schema?: unknown }> } }

t.test('every string field of every route and socket event declares its text kind', async (t) => {
  const app = await build(t)
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, Operation>> }>()
  const documented = new Set<string>()
  const offenders: string[] = []
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const key = `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`
      documented.add(key)
      for (const p of op.parameters ?? []) offenders.push(...unclassifiedStrings(p.schema, `${p.in}/${p.name}`).map((w) => `${key} ${w}`))
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        if (type === 'application/json') offenders.push(...unclassifiedStrings(media.schema, 'body').map((w) => `${key} ${w}`))
      }
    }
  }
  const api = listRoutes(app).filter((r) => r.url.startsWith('/api/'))
  t.ok(api.length >= 30, `${api.length} API routes`)
  t.same(api.map((r) => r.key).filter((k) => !documented.has(k) && HIDDEN[k] === undefined), [], 'every API route is in the document (so its schema was checked), or in HIDDEN')
  for (const [key, parts] of Object.entries(HIDDEN)) {
    t.ok(api.some((r) => r.key === key), `${key} exists`)
    for (const [part, schema] of Object.entries(parts)) offenders.push(...unclassifiedStrings(schema, part).map((w) => `${key} ${w}`))
  }
  const events = listEvents(app)
  t.ok(events.length >= 8, `${events.length} socket events`)
  for (const name of events) offenders.push(...unclassifiedStrings(app.realtime.eventSchema(name), 'payload').map((w) => `event ${name} ${w}`))
  t.same(offenders, [], 'string fields without a text kind (use Text or Label from src/lib/text-schemas.ts)')
})

t.test('the check finds an undeclared string anywhere in a schema', async (t) => {
  const schema = Type.Object({
    ok: Type.String({ format: 'uuid' }),
    list: Type.Array(Type.String()),
    nested: Type.Object({ maybe: Type.Union([Type.String(), Type.Null()]) }),
    fixed: Type.Literal('me')
  })
  t.same(unclassifiedStrings(schema), ['/list/*', '/nested/maybe'])
})

t.test('the compiler applies the text rule to every declared string, classified or not', async (t) => {
  const validate = compileRequestSchema(Type.Object({ free: Type.Optional(Type.String()), list: Type.Optional(Type.Array(Type.String({ format: 'uri' }))) }))
  t.same(validate({ free: 'a\u0000b' }), { error: [{ keyword: 'format', instancePath: '/free', message: 'must not contain NUL characters' }] })
  t.same(validate({ list: ['https://a.example/\u0000'] }), { error: [{ keyword: 'format', instancePath: '/list/0', message: 'must not contain NUL characters' }] })
  t.same(validate({ free: 'x\ud800' }), { error: [{ keyword: 'format', instancePath: '/free', message: 'must be well-formed Unicode (a lone surrogate was found)' }] })
  t.same(validate({ free: 'line one\nline two \u202e\u200b' }), { value: { free: 'line one\nline two \u202e\u200b' } }, 'plain text keeps line breaks, bidi and invisible characters')
})
