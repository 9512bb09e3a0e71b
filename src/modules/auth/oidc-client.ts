import * as client from 'openid-client'
import { createOutboundAgents, outboundRequest, type AllowedHosts } from '../../lib/outbound-url.js'
import { Errors } from '../../lib/errors.js'
import type { OidcProviderConfig } from '../../lib/oidc-providers.js'

/**
 * The relying-party side of each configured provider (openid-client): discovery, fetched once
 * and kept (again after a failure), and every request to the provider (discovery, token, JWKS)
 * through the outbound-address checks: a loopback or private issuer only when its host:port is
 * in OUTBOUND_ALLOWED_HOSTS (then plain http is allowed too), no redirects followed, bounded
 * time and size. Discovery also checks that the document names the configured issuer.
 */
export interface OidcClients {
  /** The provider's configuration; INTERNAL 503 when it cannot be discovered. */
  configOf: (provider: OidcProviderConfig) => Promise<client.Configuration>
  close: () => void
}

function toHeaders (raw: Record<string, string | string[] | undefined>): Headers {
  const out = new Headers()
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v)
  }
  return out
}

export function createOidcClients (allowedHosts: AllowedHosts): OidcClients {
  const agents = createOutboundAgents({ maxSockets: 8 })
  const fetchThroughChecks: client.CustomFetch = async (url, options) => {
    const body = options.body === undefined || options.body === null ? undefined : typeof options.body === 'string' ? options.body : options.body instanceof URLSearchParams ? options.body.toString() : undefined
    const res = await outboundRequest(url, { method: options.method, headers: options.headers, body, timeoutMs: 10_000, maxResponseBytes: 256 * 1024 }, { allowedHosts, agents })
    if (res.truncated) throw new Error('OpenID provider response too large')
    const empty = res.status === 204 || res.status === 304
    return new Response(empty ? null : new Uint8Array(res.body), { status: res.status, headers: toHeaders(res.headers) })
  }
  const cache = new Map<string, Promise<client.Configuration>>()

  const discover = async (p: OidcProviderConfig): Promise<client.Configuration> => {
    const insecure = new URL(p.issuer).protocol === 'http:'
    const auth = p.clientSecret === undefined ? client.None() : client.ClientSecretBasic(p.clientSecret)
    const config = await client.discovery(new URL(p.issuer), p.clientId, undefined, auth, {
      [client.customFetch]: fetchThroughChecks,
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: 10
    })
    config[client.customFetch] = fetchThroughChecks
    return config
  }

  return {
    async configOf (p) {
      let pending = cache.get(p.id)
      if (pending === undefined) {
        pending = discover(p)
        cache.set(p.id, pending)
        pending.catch(() => { if (cache.get(p.id) === pending) cache.delete(p.id) })
      }
      try {
        return await pending
      } catch {
        throw Errors.oidcProviderUnavailable()
      }
    },
    close: () => { agents.destroy() }
  }
}
