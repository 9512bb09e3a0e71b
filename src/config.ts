import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { DEFAULT_TEXT_MAX_CHARS } from '@relay-im/client/protocol'
import webpush from 'web-push'
import { parseOidcProviders, type OidcProviderConfig } from './lib/oidc-providers.js'
import { parseAllowedHosts, parseOutboundUrl, OutboundUrlError, type AllowedHosts } from './lib/outbound-url.js'

const Int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ default: def, minimum: min, maximum: max })

/** Every setting the server reads, from the environment, with its default. */
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  PORT: Int(3000, 0, 65535),
  /** `localhost` listens on both 127.0.0.1 and ::1; containers set 0.0.0.0. */
  HOST: Type.String({ default: 'localhost' }),
  /** Pending-connection queue of the listening socket (the kernel caps it at net.core.somaxconn). */
  LISTEN_BACKLOG: Int(4096, 1, 65535),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  /** Where PGlite keeps its files (default DATA_DIR/pglite); `memory://` for a throwaway store. */
  PGLITE_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * PGlite's buffer cache (PostgreSQL's shared_buffers), MB. It lives in the WebAssembly memory,
   * which never shrinks, and PGlite touches all of it when it opens: it is most of the idle RSS.
   */
  PGLITE_SHARED_BUFFERS_MB: Int(16, 1, 4096),
  /**
   * Run PGlite's WebAssembly on V8's baseline compiler only (--liftoff-only, set in-process
   * before PGlite compiles): no optimised second copy of the code in memory and a cheaper
   * start, but PostgreSQL's hot code runs slower: for small, memory-bound deployments.
   */
  PGLITE_LIFTOFF_ONLY: Type.Boolean({ default: false }),
  /** postgresql://… switches from embedded PGlite to PostgreSQL. */
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DB_POOL_MAX: Int(10, 1, 200),
  /** Message-send statements in flight at once per process (group commit); 0 = auto: 1 (always 1 on PGlite). */
  DB_SEND_CONCURRENCY: Int(0, 0, 64),
  /** redis://… enables the Socket.IO Redis adapter and shared presence. */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** Socket.IO Redis adapter: `sharded` (Redis >= 7 sharded pub/sub, a channel per room: a node receives the emits to rooms it holds sockets of) or `classic` (every node receives every broadcast; Redis < 7). */
  REDIS_ADAPTER: Type.Union([Type.Literal('classic'), Type.Literal('sharded')], { default: 'sharded' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  ACCESS_TOKEN_TTL_S: Int(900, 10),
  REFRESH_TOKEN_TTL_S: Int(30 * 24 * 3600, 60),
  /** Seconds after a refresh during which the old refresh token, used again, gets the same new pair instead of revoking the session (two tabs, a lost response); 0 = never. */
  REFRESH_REUSE_GRACE_S: Int(30, 0, 300),
  /** Comma-separated origins allowed for CORS and the WebSocket handshake; `*` for any. Same-origin and origin-less clients are always allowed. */
  ALLOWED_ORIGINS: Type.String({ default: '' }),
  LOG_LEVEL: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { default: 'info' }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  BODY_LIMIT_BYTES: Int(256 * 1024, 1024),
  SOCKET_MAX_PAYLOAD_BYTES: Int(64 * 1024, 1024),
  TEXT_MAX_CHARS: Int(DEFAULT_TEXT_MAX_CHARS, 1),
  CUSTOM_MAX_BYTES: Int(16 * 1024, 16),
  GROUP_MAX_MEMBERS: Int(200, 2),
  /** Members of a public channel at most; a join beyond it is CONFLICT. */
  CHANNEL_MAX_MEMBERS: Int(10_000, 1),
  RECALL_WINDOW_S: Int(120, 0),
  /** Seconds after sending during which the sender may edit a text or custom message. */
  EDIT_WINDOW_S: Int(172_800, 0),
  /** Socket events allowed per socket per second (token bucket, burst = 2x). */
  SOCKET_EVENTS_PER_S: Int(50, 1),
  MAX_CONNECTIONS_PER_IP: Int(1000, 1),
  AUTH_RATE_LIMIT_MAX: Int(30, 1),
  AUTH_RATE_LIMIT_WINDOW_MS: Int(60_000, 1000),
  /** Invite previews and joins per user per window (GET /invites/:code, POST /invites/:code/join). */
  INVITE_RATE_LIMIT_MAX: Int(20, 1),
  INVITE_RATE_LIMIT_WINDOW_MS: Int(60_000, 1000),
  /** Prefix of the rate-limit counters in Redis (shared by every node that uses the same value). */
  RATE_LIMIT_NAMESPACE: Type.String({ default: 'relay:rl:', minLength: 1 }),
  /** scrypt cost (N = 2^SCRYPT_LOG_N); tests lower it. */
  SCRYPT_LOG_N: Int(15, 10, 20),
  UPLOAD_MAX_BYTES: Int(10 * 1024 * 1024, 1),
  UPLOAD_MIME_ALLOWLIST: Type.String({ default: 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,application/zip' }),
  UPLOAD_DIR: Type.Optional(Type.String({ minLength: 1 })),
  SHUTDOWN_TIMEOUT_MS: Int(10_000, 100),
  /** Bot webhooks: a message not delivered this long after it was sent is given up (logged gave_up). */
  WEBHOOK_MAX_AGE_S: Int(86_400, 1, 30 * 86_400),
  /** Bot webhooks: the first retry waits about this long, doubling per failure (with jitter, at most an hour). */
  WEBHOOK_RETRY_BASE_MS: Int(1000, 10, 3_600_000),
  /** Bot webhooks: one delivery, connect to last byte. */
  WEBHOOK_TIMEOUT_MS: Int(10_000, 100, 60_000),
  /** On a signal, how long /readyz is red while everything still serves, before sockets close (capped at half of SHUTDOWN_TIMEOUT_MS). */
  SHUTDOWN_DRAIN_MS: Int(2000, 0, 600_000),
  /** Bearer token for GET /metrics; unset: the metrics are open (keep the port private). */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Comma-separated `host:port` that outbound URLs (push endpoints, webhooks) may reach although private or plain http. */
  OUTBOUND_ALLOWED_HOSTS: Type.String({ default: '' }),
  /** Web Push VAPID key pair (base64url, as `web-push generate-vapid-keys` prints); unset: generated once into DATA_DIR (refused in production). */
  VAPID_PUBLIC_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{87}$' })),
  VAPID_PRIVATE_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' })),
  /** Contact for push services (RFC 8292): `mailto:` or `https:` URL. */
  VAPID_SUBJECT: Type.String({ default: 'mailto:admin@localhost', pattern: '^(mailto:|https://)' }),
  /** false: pushes carry no message preview. */
  PUSH_PREVIEW: Type.Boolean({ default: true }),
  /** Seconds a push service keeps an undelivered push (TTL header). */
  PUSH_TTL_S: Int(86_400, 0, 2_419_200),
  /** Push subscriptions per user; more is CONFLICT. */
  PUSH_MAX_SUBSCRIPTIONS: Int(20, 1, 1000),
  /** Attempts per push before it is given up (5xx, network errors). */
  PUSH_RETRY_LIMIT: Int(5, 0, 100),
  /** Server API (`Authorization: Server <key>`): requests per key per window, every route counted. */
  SERVER_API_RATE_LIMIT_MAX: Int(6000, 1),
  SERVER_API_RATE_LIMIT_WINDOW_MS: Int(60_000, 1000),
  /** The app's own JWTs as access tokens (all three or none): the `iss` they must carry. */
  APP_JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  /** The `aud` they must carry. */
  APP_JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  /** Where the app publishes its public keys (JWKS); fetched through the outbound-address checks. */
  APP_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** A token with an unknown `kid` fetches the key set again at most this often (key rotation), ms. */
  APP_JWKS_COOLDOWN_MS: Int(30_000, 0, 3_600_000),
  /** The app's before-send hook (docs/protocol.md, "Server API"): called for every send; unset: no hook, nothing on the send path. */
  BEFORE_SEND_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Signs the hook's calls (x-relay-signature, as bot webhooks are signed); required with BEFORE_SEND_URL. */
  BEFORE_SEND_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  /** The hook's deadline for one answer, connect to last byte. */
  BEFORE_SEND_TIMEOUT_MS: Int(500, 10, 10_000),
  /** What a timeout, error, redirect or unreadable answer means: the send goes through (allow) or is refused (reject). */
  BEFORE_SEND_ON_FAILURE: Type.Union([Type.Literal('allow'), Type.Literal('reject')], { default: 'allow' }),
  /** App events (docs/protocol.md, "App events"): where the app backend receives them; unset: none are recorded, nothing on the send path. */
  APP_EVENTS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Signs every app event (x-relay-signature, as webhooks are signed); required with APP_EVENTS_URL. */
  APP_EVENTS_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  /** false: this node does not work the job queue (it still enqueues). */
  JOBS_WORKER: Type.Boolean({ default: true }),
  /** Seconds a job may stay active before it is taken as lost (its node died) and retried. */
  JOBS_EXPIRE_S: Int(60, 5, 3600),
  /**
   * Milliseconds between merges of the message search indexes' pending lists (GIN), done on a
   * connection of their own so that no send merges them inside its statement; 0 = never (an
   * insert merges the list when it reaches 16 MB, as PostgreSQL does by default at 4 MB). Unset:
   * 250 on PostgreSQL (a merge runs beside the sends) and 100 on PGlite (a merge holds its one
   * connection, so it stays small). BENCHMARKS.md "Performance III" has the runs behind both.
   */
  SEARCH_INDEX_MERGE_MS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
  // Housekeeping jobs (src/modules/housekeeping): seconds between runs, 0 = never.
  /** VACUUM (ANALYZE) of the embedded store (PGlite); PostgreSQL's autovacuum does it there. */
  HOUSEKEEPING_VACUUM_INTERVAL_S: Int(6 * 3600, 0),
  /** Deletes bot webhook delivery log entries older than WEBHOOK_LOG_KEEP_DAYS. */
  HOUSEKEEPING_WEBHOOK_LOG_INTERVAL_S: Int(3600, 0),
  WEBHOOK_LOG_KEEP_DAYS: Int(14, 0, 3650),
  /** Deletes the job queue's archived (finished) jobs older than JOBS_ARCHIVE_KEEP_DAYS. */
  HOUSEKEEPING_JOB_ARCHIVE_INTERVAL_S: Int(3600, 0),
  JOBS_ARCHIVE_KEEP_DAYS: Int(7, 0, 3650),
  /** Deletes expired refresh tokens, and group invites expired or revoked more than INVITE_KEEP_DAYS ago. */
  HOUSEKEEPING_TOKENS_INTERVAL_S: Int(3600, 0),
  INVITE_KEEP_DAYS: Int(7, 0, 3650),
  /** Deletes uploads (row and file) older than UPLOAD_ORPHAN_AFTER_S that no message, group or user references. */
  HOUSEKEEPING_UPLOADS_INTERVAL_S: Int(3600, 0),
  UPLOAD_ORPHAN_AFTER_S: Int(86_400, 60),
  /**
   * Retention (docs/protocol.md, "Retention"): messages older than this many days are purged, in
   * every conversation without its own policy; 0 keeps them forever. Fractions are allowed
   * (0.5 = 12 hours; the soak in bench/ runs with about a minute).
   */
  RETENTION_DAYS: Type.Number({ default: 0, minimum: 0, maximum: 36_500 }),
  /** The days an owner or admin may set as a group's or channel's own policy, at least and at most. */
  RETENTION_MIN_DAYS: Int(1, 1, 36_500),
  RETENTION_MAX_DAYS: Int(3650, 1, 36_500),
  /** Purges messages older than their conversation's policy (and what only they referenced). */
  HOUSEKEEPING_RETENTION_INTERVAL_S: Int(3600, 0),
  /** Link previews (src/modules/link-previews): false: no preview is fetched for new messages. */
  LINK_PREVIEWS: Type.Boolean({ default: true }),
  /** Link previews: bytes of a page read at most (the rest is not read). */
  LINK_PREVIEW_PAGE_MAX_BYTES: Int(1024 * 1024, 1024, 16 * 1024 * 1024),
  /** Link previews: largest preview image fetched and stored. */
  LINK_PREVIEW_IMAGE_MAX_BYTES: Int(5 * 1024 * 1024, 1024, 64 * 1024 * 1024),
  /** Link previews: one request (page or image), connect to last byte; the whole fetch, redirects included, gets twice this. */
  LINK_PREVIEW_TIMEOUT_MS: Int(5000, 100, 60_000),
  /** Link previews: seconds a fetched preview is reused for the same URL. */
  LINK_PREVIEW_CACHE_S: Int(86_400, 0, 30 * 86_400),
  // Two-factor sign-in (TOTP, src/modules/auth/totp.ts)
  /** true: an admin's tokens carry the admin role only in a session started with a second factor (an admin without TOTP signs in as a plain user until enrolled). */
  TOTP_REQUIRED_FOR_ADMINS: Type.Boolean({ default: false }),
  /** The name authenticator apps show beside the account. */
  TOTP_ISSUER: Type.String({ default: 'Relay IM', minLength: 1, maxLength: 64 }),
  /** Consecutive wrong two-factor codes after which the user's factor is locked for TOTP_LOCK_S. */
  TOTP_MAX_FAILURES: Int(5, 1, 100),
  TOTP_LOCK_S: Int(300, 1, 86_400),
  // Passkeys (WebAuthn, src/modules/auth/passkey*.ts)
  /** The relying party id passkeys are bound to: the site's domain (e.g. chat.example.com). Unset: taken from WEBAUTHN_ORIGINS, else from each request's Host (fine for one name; set it behind a proxy or with several names). */
  WEBAUTHN_RP_ID: Type.Optional(Type.String({ pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$', maxLength: 253 })),
  /** Comma-separated page origins allowed to use passkeys (e.g. https://chat.example.com). Unset: https://WEBAUTHN_RP_ID, else the request's own origin. */
  WEBAUTHN_ORIGINS: Type.String({ default: '' }),
  /** The site's name the browser shows when a passkey is created. */
  WEBAUTHN_RP_NAME: Type.String({ default: 'Relay IM', minLength: 1, maxLength: 64 }),
  /** A scheduled message's time is at least this many seconds ahead (tests lower it). */
  SCHEDULED_MIN_AHEAD_S: Int(10, 0, 3600),
  // OpenID Connect sign-in (src/modules/auth/oidc*.ts, src/lib/oidc-providers.ts)
  /** JSON array of providers: [{ id, name, issuer, clientId, clientSecret?, scopes? }]; empty: no "Sign in with ...". */
  OIDC_PROVIDERS: Type.String({ default: '' }),
  /** This server's public URL as browsers reach it (`https://chat.example.com`): callbacks are `<it>/api/auth/oidc/<id>/callback`, the page is `<it>/`. Required with OIDC_PROVIDERS. */
  OIDC_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+/?$' })),
  /** A first sign-in by a provider account linked to no user: `create` an account, or `refuse` (only linked accounts sign in). */
  OIDC_NEW_ACCOUNTS: Type.Union([Type.Literal('create'), Type.Literal('refuse')], { default: 'create' }),
  /** Seconds between starting a sign-in and coming back from the provider. */
  OIDC_FLOW_TTL_S: Int(600, 10, 3600),
  /** false: POST /auth/register is refused (FORBIDDEN); existing password users still sign in. */
  PASSWORD_SIGNUP: Type.Boolean({ default: true })
})

export type RawConfig = Static<typeof ConfigSchema>
export interface Config extends RawConfig {
  JWT_SECRET: string
  DATA_DIR: string
  UPLOAD_DIR: string
  isProduction: boolean
  allowedOrigins: string[]
  uploadMimeAllowlist: string[]
  /** Set when no JWT_SECRET was given and one was generated or read from DATA_DIR. */
  generatedSecret: boolean
  /** OUTBOUND_ALLOWED_HOSTS parsed (lower-case host:port). */
  outboundAllowedHosts: AllowedHosts
  /** OIDC_PROVIDERS parsed. */
  oidcProviders: OidcProviderConfig[]
  /** Undefined in production without VAPID keys: Web Push is then off (keys are never generated in production). */
  vapid: { publicKey: string, privateKey: string, subject: string, generated: boolean } | undefined
  /** Passkeys' relying party from WEBAUTHN_RP_ID / WEBAUTHN_ORIGINS; undefined: taken from each request (src/modules/auth/passkey-routes.ts). */
  webauthn: { id: string, origins: string[] } | undefined
}

export class ConfigError extends Error {}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean)

/**
 * Reads, converts and validates the config. Unknown variables are ignored; a bad value
 * stops the start with a message naming it.
 */
export function loadConfig (env: Record<string, string | undefined> = process.env, overrides: Partial<RawConfig> = {}): Config {
  const picked: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const v = env[key]
    if (v !== undefined && v !== '') picked[key] = v
  }
  Object.assign(picked, overrides)
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, picked))
  if (!Value.Check(ConfigSchema, withDefaults)) {
    const problems = [...Value.Errors(ConfigSchema, withDefaults)]
      .map((e) => `${e.instancePath.slice(1) || '(root)'}: ${e.message}`)
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`)
  }
  const raw = withDefaults as RawConfig
  const isProduction = raw.NODE_ENV === 'production'
  const dataDir = resolve(raw.DATA_DIR)

  let secret = raw.JWT_SECRET
  let generatedSecret = false
  if (secret === undefined) {
    if (isProduction) {
      throw new ConfigError('JWT_SECRET is required when NODE_ENV=production (at least 32 characters)')
    }
    secret = readOrCreateSecret(dataDir)
    generatedSecret = true
  }

  let outboundAllowedHosts: AllowedHosts
  try {
    outboundAllowedHosts = parseAllowedHosts(raw.OUTBOUND_ALLOWED_HOSTS)
  } catch (err) {
    throw new ConfigError((err as OutboundUrlError).message)
  }

  const appJwt = [raw.APP_JWT_ISSUER, raw.APP_JWT_AUDIENCE, raw.APP_JWKS_URL].filter((v) => v !== undefined).length
  if (appJwt !== 0 && appJwt !== 3) throw new ConfigError('APP_JWT_ISSUER, APP_JWT_AUDIENCE and APP_JWKS_URL go together')

  if (raw.RETENTION_MIN_DAYS > raw.RETENTION_MAX_DAYS) throw new ConfigError('RETENTION_MIN_DAYS must not be above RETENTION_MAX_DAYS')

  if (raw.BEFORE_SEND_URL !== undefined && raw.BEFORE_SEND_SECRET === undefined) {
    throw new ConfigError('BEFORE_SEND_URL needs BEFORE_SEND_SECRET (at least 16 characters): the hook checks the signature of every call')
  }

  const webauthn = relyingParty(raw.WEBAUTHN_RP_ID, list(raw.WEBAUTHN_ORIGINS))
  let oidcProviders: OidcProviderConfig[]
  try {
    oidcProviders = parseOidcProviders(raw.OIDC_PROVIDERS)
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  if (oidcProviders.length > 0 && raw.OIDC_PUBLIC_URL === undefined) throw new ConfigError('OIDC_PROVIDERS needs OIDC_PUBLIC_URL (this server\'s public URL, for the callback address)')

  if (raw.APP_EVENTS_URL !== undefined && raw.APP_EVENTS_SECRET === undefined) {
    throw new ConfigError('APP_EVENTS_URL needs APP_EVENTS_SECRET (at least 16 characters): the app checks the signature of every event')
  }
  // The outbound URL rules (contract section 4) at start; a private or loopback address is
  // refused again at every connection unless its host:port is in OUTBOUND_ALLOWED_HOSTS.
  if (raw.APP_EVENTS_URL !== undefined) {
    try {
      parseOutboundUrl(raw.APP_EVENTS_URL, { allowedHosts: outboundAllowedHosts })
    } catch (err) {
      throw new ConfigError(`APP_EVENTS_URL: ${(err as OutboundUrlError).message}`)
    }
  }

  if ((raw.VAPID_PUBLIC_KEY === undefined) !== (raw.VAPID_PRIVATE_KEY === undefined)) {
    throw new ConfigError('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY go together')
  }
  let vapid: Config['vapid']
  if (raw.VAPID_PUBLIC_KEY !== undefined && raw.VAPID_PRIVATE_KEY !== undefined) {
    vapid = { publicKey: raw.VAPID_PUBLIC_KEY, privateKey: raw.VAPID_PRIVATE_KEY, subject: raw.VAPID_SUBJECT, generated: false }
  } else if (!isProduction) {
    vapid = { ...readOrCreateVapid(dataDir), subject: raw.VAPID_SUBJECT, generated: true }
  }

  return {
    ...raw,
    outboundAllowedHosts,
    oidcProviders,
    vapid,
    webauthn,
    DATA_DIR: dataDir,
    UPLOAD_DIR: resolve(raw.UPLOAD_DIR ?? join(dataDir, 'uploads')),
    JWT_SECRET: secret,
    isProduction,
    allowedOrigins: list(raw.ALLOWED_ORIGINS),
    uploadMimeAllowlist: list(raw.UPLOAD_MIME_ALLOWLIST),
    generatedSecret
  }
}

/** WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS checked together: every origin's host is the id or under it (WebAuthn's rule). */
function relyingParty (rpId: string | undefined, origins: string[]): Config['webauthn'] {
  if (rpId === undefined && origins.length === 0) return undefined
  const hosts = origins.map((o) => {
    let url: URL
    try {
      url = new URL(o)
    } catch {
      throw new ConfigError(`WEBAUTHN_ORIGINS: ${o} is not an origin`)
    }
    if (url.origin !== o || (url.protocol !== 'https:' && url.hostname !== 'localhost')) throw new ConfigError(`WEBAUTHN_ORIGINS: ${o} is not an https origin (scheme://host[:port], http only for localhost)`)
    return url.hostname
  })
  const id = rpId ?? hosts[0] as string
  const bad = hosts.filter((h) => h !== id && !h.endsWith(`.${id}`))
  if (bad.length > 0) throw new ConfigError(`WEBAUTHN_ORIGINS: ${bad.join(', ')} is not ${id} or under it (WEBAUTHN_RP_ID)`)
  return { id, origins: origins.length > 0 ? origins : [`https://${id}`] }
}

function readOrCreateSecret (dataDir: string): string {
  const file = join(dataDir, 'jwt-secret')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' })
  return secret
}

function readOrCreateVapid (dataDir: string): { publicKey: string, privateKey: string } {
  const file = join(dataDir, 'vapid-keys.json')
  if (existsSync(file)) {
    const keys = JSON.parse(readFileSync(file, 'utf8')) as { publicKey?: unknown, privateKey?: unknown }
    if (typeof keys.publicKey === 'string' && typeof keys.privateKey === 'string') return { publicKey: keys.publicKey, privateKey: keys.privateKey }
    throw new ConfigError(`${file} is not a VAPID key pair; delete it to generate a new one`)
  }
  mkdirSync(dataDir, { recursive: true })
  const keys = webpush.generateVAPIDKeys()
  writeFileSync(file, JSON.stringify(keys) + '\n', { mode: 0o600, flag: 'wx' })
  return keys
}
