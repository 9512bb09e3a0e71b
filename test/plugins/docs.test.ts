// suite: default only — the OpenAPI document is built from the route schemas alone
import tap from 'tap'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { build, sharedPglite, tempDir } from '../helper.js'

interface Operation { operationId?: string, summary?: string, tags?: string[], security?: unknown[] }
interface Document { paths: Record<string, Record<string, Operation>>, tags?: Array<{ name: string }> }

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']
const PUBLIC = new Set(['POST /api/auth/register', 'POST /api/auth/login', 'POST /api/auth/login/second-factor', 'POST /api/auth/login/passkey/options', 'POST /api/auth/login/passkey', 'POST /api/auth/refresh', 'POST /api/auth/logout', 'GET /api/version', 'GET /api/auth/oidc/providers', 'GET /api/auth/oidc/{provider}/start', 'POST /api/auth/oidc/exchange'])

async function lint (document: unknown): Promise<string[]> {
  const config = await createConfig({ extends: ['recommended'] })
  const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config })
  return problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer ?? '').join(', ')}`)
}

function operations (document: Document): Array<[string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).filter(([method]) => METHODS.includes(method)).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]))
}

tap.test('the served OpenAPI document passes redocly\'s recommended rules with no error and no warning', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const document = res.json<Document>()
  t.ok(operations(document).length >= 30, 'the document lists the API')
  t.same(await lint(document), [])
})

tap.test('every operation has a camelCase operationId (unique), a summary, a declared tag and its security', async (t) => {
  const app = await build(t)
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<Document>()
  const declared = new Set((document.tags ?? []).map((tag) => tag.name))
  const ids = new Set<string>()
  for (const [name, op] of operations(document)) {
    t.match(op.operationId, /^[a-z]+[A-Za-z]*$/, `${name} operationId`)
    t.notOk(ids.has(op.operationId ?? ''), `${name} operationId is unique`)
    ids.add(op.operationId ?? '')
    t.match(op.summary, /\S/, `${name} summary`)
    t.ok(op.tags?.length === 1 && declared.has(op.tags[0] ?? ''), `${name} has one declared tag`)
    // The server API takes a server key (`Authorization: Server <key>`), everything else a bearer token.
    t.same(op.security, PUBLIC.has(name) ? [] : name.includes(' /api/server/') ? [{ server: [] }] : [{ bearer: [] }], `${name} security`)
  }
})

tap.test('a route added without operationId or summary fails the lint', async (t) => {
  const config = loadConfig({}, { NODE_ENV: 'test', DATA_DIR: tempDir(t), JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long', LOG_LEVEL: 'silent' })
  const app = await buildApp(config, { database: await sharedPglite() })
  t.teardown(async () => { await app.close() })
  app.get('/api/forgotten', { schema: { tags: ['users'], security: [{ bearer: [] }] } }, async () => ({}))
  await app.ready()
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<Document>()
  const problems = await lint(document)
  t.ok(problems.some((p) => p.includes('operation-operationId')), 'missing operationId is reported')
  t.ok(problems.some((p) => p.includes('operation-summary')), 'missing summary is reported')
})
