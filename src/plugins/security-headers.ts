import fp from 'fastify-plugin'
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet'
import helmetHeaders, { type HelmetOptions } from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'

type Directives = Record<string, string[]>

/**
 * Security headers on every response, from @fastify/helmet: `nosniff`, `X-Frame-Options:
 * DENY` with `frame-ancestors 'none'`, no referrer, HSTS (browsers honour it over https
 * only), cross-origin isolation of windows. One CSP per kind of response, all here:
 */

/** JSON answers (and /healthz, /metrics, errors): nothing to load or run, never framed. */
export const API_CSP: Directives = {
  'default-src': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"], 'frame-ancestors': ["'none'"]
}

/** The page (dist/web): everything from this origin (the socket included), images also as blobs. */
export const PAGE_CSP: Directives = {
  'default-src': ["'self'"],
  'img-src': ["'self'", 'blob:', 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"]
}

/**
 * Swagger UI at /docs: its scripts and styles are files from this origin; it sets inline
 * styles on elements and draws icons from data: URIs, and fetches /docs/json and the API.
 */
export const DOCS_CSP: Directives = {
  'default-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'style-src': ["'self'", "'unsafe-inline'"],
  'script-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"]
}

/** An uploaded file: never active content, even opened directly (an SVG or an HTML file renamed). */
export const UPLOAD_CSP: Directives = { 'default-src': ["'none'"], sandbox: [], 'frame-ancestors': ["'none'"] }

const csp = (directives: Directives): FastifyHelmetOptions['contentSecurityPolicy'] => ({ useDefaults: false, directives })

/** Route options (`helmet`) giving a route (its `config.helmet`, for every route of a scope: see `useCsp`) another CSP, and other helmet options. */
export function helmetFor (directives: Directives, extra: Record<string, unknown> = {}): { helmet: FastifyHelmetOptions } {
  return { helmet: { ...extra, contentSecurityPolicy: csp(directives) } as FastifyHelmetOptions }
}

/** A CSP as helmet writes it. */
const headerOf = (directives: Directives): string =>
  Object.entries(directives).map(([name, values]) => values.length === 0 ? name : `${name} ${values.join(' ')}`).join(';')

/**
 * For a scope whose routes are another plugin's (the page's static files, Swagger UI): what
 * they serve gets `directives` instead of the API's CSP; their errors (a missing file answers
 * the contract's JSON 404) keep the API's.
 */
export function useCsp (scope: FastifyInstance, directives: Directives): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), ...helmetFor(directives) }
  })
  const api = headerOf(API_CSP)
  scope.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode >= 400) void reply.header('content-security-policy', api)
    return payload
  })
}

const OPTIONS = {
  contentSecurityPolicy: csp(API_CSP),
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' }
} satisfies FastifyHelmetOptions

/**
 * The headers the API's responses get, as a plain map: for answers made before any hook runs
 * (Fastify's `frameworkErrors`: a URL that cannot be routed). Computed by helmet itself.
 */
export const API_HEADERS: Readonly<Record<string, string>> = (() => {
  const headers: Record<string, string> = {}
  const res = {
    setHeader: (name: string, value: unknown) => { headers[name.toLowerCase()] = String(value) },
    removeHeader: (name: string) => { Reflect.deleteProperty(headers, name.toLowerCase()) }
  }
  helmetHeaders(OPTIONS as HelmetOptions)({} as IncomingMessage, res as unknown as ServerResponse, () => {})
  return Object.freeze(headers)
})()

export default fp(async (app) => {
  await app.register(helmet, OPTIONS)
}, { name: 'security-headers' })
