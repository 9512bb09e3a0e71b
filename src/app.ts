import Fastify, { type FastifyInstance, type FastifyReply, type FastifySchemaCompiler, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { TSchema } from 'typebox'
import cors from '@fastify/cors'
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import staticFiles from '@fastify/static'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Config } from './config.js'
import type { Database } from './db/drivers.js'
import configPlugin from './plugins/config.js'
import errorsPlugin from './plugins/error-handler.js'
import securityHeaders, { API_HEADERS, PAGE_CSP, useCsp } from './plugins/security-headers.js'
import normaliseIdsPlugin from './plugins/normalise-ids.js'
import docsPlugin from './plugins/docs.js'
import dbPlugin from './plugins/db.js'
import authPlugin from './plugins/auth.js'
import realtimePlugin from './plugins/realtime/index.js'
import deliveryPlugin from './delivery/plugin.js'
import { friendsPlugin, friendsRoutes } from './modules/friends/index.js'
import { presencePlugin } from './modules/presence/index.js'
import { signalPlugin } from './modules/signal/index.js'
import { healthRoutes } from './modules/health/index.js'
import { versionRoutes } from './modules/version/index.js'
import { searchIndexMergerPlugin, searchRoutes } from './modules/search/index.js'
import { authRoutes } from './modules/auth/index.js'
import { usersRoutes } from './modules/users/index.js'
import { conversationRoutes, conversationsPlugin } from './modules/conversations/index.js'
import { messageRoutes, messagesPlugin } from './modules/messages/index.js'
import { groupRoutes, groupsPlugin } from './modules/groups/index.js'
import { channelRoutes, channelsPlugin } from './modules/channels/index.js'
import { uploadsPlugin, uploadsRoutes } from './modules/uploads/index.js'
import { linkPreviewsPlugin } from './modules/link-previews/index.js'
import { adminRoutes } from './modules/admin/index.js'
import { reportsRoutes } from './modules/reports/index.js'
import { accountPlugin, accountRoutes } from './modules/account/index.js'
import { botsRoutes, webhooksPlugin } from './modules/bots/index.js'
import { metricsPlugin } from './modules/metrics/index.js'
import jobsPlugin from './plugins/jobs.js'
import controlSocket from './ops/control-socket.js'
import { pushPlugin, pushRoutes } from './modules/push/index.js'
import { housekeepingPlugin } from './modules/housekeeping/index.js'
import { appEventsPlugin, serverApiRoutes, serverKeyAdminRoutes } from './modules/server-api/index.js'
import { scheduledPlugin, scheduledRoutes } from './modules/scheduled/index.js'
import { originAllowed } from './lib/origins.js'
import { sharedRateLimitStore } from './lib/rate-limit-store.js'
import { rateLimited } from './lib/errors.js'
import { compileRequestSchema } from './lib/schema-compiler.js'

export type App = FastifyInstance

type FastifyValidator = ReturnType<FastifySchemaCompiler<unknown>>

/** The browser page built by `npm run build:web`: dist/web at the package root (seen from src/ or dist/src/). */
function webRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return join(dir, 'dist', 'web')
}

export interface BuildOptions {
  logger?: FastifyServerOptions['logger']
  /** An already open database that the app uses but does not close. */
  database?: Database
  /** Fastify's schema compilers (the tests reuse compiled serializers across the apps of one process). */
  schemaController?: FastifyServerOptions['schemaController']
}

/** Builds the whole server: plugins first, then feature modules under /api. Tests build it too. */
export async function buildApp (config: Config, opts: BuildOptions = {}): Promise<App> {
  const app = Fastify({
    logger: opts.logger ?? {
      level: config.LOG_LEVEL,
      // Coloured single lines for people at a terminal; JSON lines for log collectors and tests.
      ...(config.NODE_ENV === 'production' || config.NODE_ENV === 'test'
        ? {}
        : { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }),
      redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.accessToken', '*.token'],
      // GET /api/uploads/:id?token=… (for <img src>): keep access tokens out of logged URLs
      serializers: {
        req: (req: { method: string, url: string, host?: string, ip?: string, socket?: { remotePort?: number } }) => ({
          method: req.method,
          url: req.url.replace(/([?&]token=)[^&#]*/gi, '$1[Redacted]'),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort
        })
      }
    },
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Opening the embedded store runs initdb and every migration on a first start, then
    // pg-boss's own schema: seconds on a loaded 2-core machine, past Fastify's 10 s default.
    pluginTimeout: 60_000,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false } },
    forceCloseConnections: true,
    schemaController: opts.schemaController,
    // Errors raised before routing (a bad percent-encoding, a path parameter over the length
    // limit) get the contract's body too, not Fastify's own.
    frameworkErrors: (err, _request, reply) => {
      void (reply as FastifyReply).status(400).headers(API_HEADERS).send({ error: { code: 'VALIDATION', message: err.message } })
    }
  }).withTypeProvider<TypeBoxTypeProvider>()
  // Bodies as sent (no coercion); params and query strings converted to the schema's types.
  app.setValidatorCompiler(({ schema, httpPart }) => compileRequestSchema(schema as TSchema, { convert: httpPart !== 'body' }) as FastifyValidator)

  await app.register(configPlugin, { config })
  await app.register(errorsPlugin)
  await app.register(securityHeaders)
  await app.register(normaliseIdsPlugin)
  await app.register(cors, {
    origin: (origin, cb) => { cb(null, origin === undefined || originAllowed(origin, config.allowedOrigins)) },
    credentials: false,
    exposedHeaders: ['x-next-cursor'],
    // An OPTIONS request that is not a complete preflight falls through to the routes (a
    // contract-shaped 404) instead of @fastify/cors's plain-text 400.
    strictPreflight: false
  })
  await app.register(docsPlugin)
  await app.register(dbPlugin, { database: opts.database })
  await app.register(controlSocket)
  await app.register(authPlugin)
  await app.register(realtimePlugin)
  // With Redis, every node spends one budget per client (see src/lib/rate-limit-store.ts).
  const redis = app.realtime.redis
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => rateLimited(`Rate limit exceeded, retry in ${context.after}`, context.ttl),
    store: redis === undefined
      ? undefined
      : sharedRateLimitStore({ redis, namespace: config.RATE_LIMIT_NAMESPACE, onError: (err) => { app.log.warn({ err }, 'rate limit: Redis failed, counting on this node') } }) as unknown as FastifyRateLimitStoreCtor
  })
  await app.register(friendsPlugin)
  await app.register(presencePlugin)
  await app.register(signalPlugin)
  await app.register(jobsPlugin)
  await app.register(pushPlugin)
  await app.register(webhooksPlugin)
  await app.register(appEventsPlugin)
  await app.register(deliveryPlugin)
  await app.register(conversationsPlugin)
  await app.register(messagesPlugin)
  await app.register(scheduledPlugin)
  await app.register(groupsPlugin)
  await app.register(channelsPlugin)
  await app.register(accountPlugin)
  await app.register(housekeepingPlugin)
  await app.register(searchIndexMergerPlugin)
  await app.register(uploadsPlugin)
  await app.register(linkPreviewsPlugin)

  await app.register(healthRoutes)
  await app.register(metricsPlugin)
  // The page: its own CSP (src/plugins/security-headers.ts) on the routes of its scope.
  await app.register(async (page) => {
    useCsp(page, PAGE_CSP)
    await page.register(staticFiles, {
      root: webRoot(),
      setHeaders: (reply, path) => {
        // The service worker: always revalidated (a fixed page reaches browsers at once), scope '/'.
        if (basename(path) === 'sw.js') {
          reply.header('cache-control', 'no-cache')
          reply.header('service-worker-allowed', '/')
        }
      }
    })
  })
  await app.register(async (api) => {
    await api.register(authRoutes, { prefix: '/auth' })
    await api.register(usersRoutes)
    await api.register(friendsRoutes)
    await api.register(conversationRoutes)
    await api.register(messageRoutes)
    await api.register(scheduledRoutes)
    await api.register(groupRoutes)
    await api.register(channelRoutes)
    await api.register(uploadsRoutes)
    await api.register(searchRoutes)
    await api.register(versionRoutes)
    await api.register(pushRoutes)
    await api.register(reportsRoutes)
    await api.register(accountRoutes)
    await api.register(botsRoutes)
    await api.register(adminRoutes, { prefix: '/admin' })
    await api.register(serverKeyAdminRoutes, { prefix: '/admin' })
    await api.register(serverApiRoutes, { prefix: '/server' })
  }, { prefix: '/api' })

  return app
}
