import fp from 'fastify-plugin'
import type { preHandlerHookHandler } from 'fastify'
import { compileIdNormaliser } from '../lib/id-normaliser.js'

type Part = 'params' | 'querystring' | 'body'
const parts: Array<[Part, 'params' | 'query' | 'body']> = [['params', 'params'], ['querystring', 'query'], ['body', 'body']]

/**
 * Every uuid in a route's params, query and body reaches the handler lower-cased (see
 * src/lib/id-normaliser.ts). Built per route from its schema when the route is added, and run
 * first among its preHandlers, i.e. right after validation; routes without uuids get no hook.
 */
export default fp(async (app) => {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Partial<Record<Part, unknown>> | undefined
    if (schema === undefined) return
    const fns = parts.flatMap(([part, field]) => {
      const fn = compileIdNormaliser(schema[part] as Record<string, unknown> | undefined)
      return fn === undefined ? [] : [{ field, fn }]
    })
    if (fns.length === 0) return
    const normalise: preHandlerHookHandler = function (request, _reply, done) {
      const r = request as unknown as Record<string, unknown>
      for (const { field, fn } of fns) r[field] = fn(r[field])
      done()
    }
    const existing = route.preHandler
    route.preHandler = existing === undefined ? [normalise] : [normalise, ...(Array.isArray(existing) ? existing : [existing])]
  })
}, { name: 'normalise-ids' })
