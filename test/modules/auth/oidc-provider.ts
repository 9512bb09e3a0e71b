import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import Provider from 'oidc-provider'

/**
 * A real OpenID Connect provider (oidc-provider) on 127.0.0.1, port 0, with its development
 * login and consent pages (any login name signs in as that subject). Not a mock: the server
 * under test discovers it, redeems codes at it and checks its signed ID tokens.
 */
export interface LocalProvider {
  issuer: string
  /** `127.0.0.1:<port>`, for OUTBOUND_ALLOWED_HOSTS. */
  hostPort: string
  /** Registers the relying party's client (its redirect URI is known only once the server is set up). */
  addClient: (redirectUri: string) => void
  /** Walks the provider's login and consent pages from an authorization URL; the URL it redirects back to (the callback). */
  signIn: (authorizeUrl: string, login: string) => Promise<string>
}

export const CLIENT_ID = 'relay-test'
export const CLIENT_SECRET = 'relay-test-secret-0123456789'

/** Claims the provider releases per login name; `name` is used as given, else the login. */
export const accountClaims = new Map<string, Record<string, unknown>>()

export async function startProvider (t: Test, opts: { issuerHost?: string } = {}): Promise<LocalProvider> {
  const server = http.createServer()
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as AddressInfo
  const issuer = `http://${opts.issuerHost ?? '127.0.0.1'}:${port}`
  const redirectUris: string[] = []
  let provider: Provider | undefined
  const make = (): Provider => {
    const p = new Provider(issuer, {
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
      findAccount: async (_ctx, id) => ({
        accountId: id,
        claims: async () => ({ sub: id, preferred_username: id, name: id, ...accountClaims.get(id) })
      }),
      claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'nickname'] },
      pkce: { required: () => true },
      cookies: { keys: ['test-cookie-key-0123456789'] },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
      features: { devInteractions: { enabled: true } },
      // The ID token carries the profile claims (no userinfo round trip needed).
      conformIdTokenClaims: false
    })
    p.on('server_error', () => {})
    return p
  }
  server.on('request', (req, res) => {
    provider ??= make()
    provider.callback()(req, res)
  })

  return {
    issuer,
    hostPort: `127.0.0.1:${port}`,
    addClient: (uri) => {
      redirectUris.push(uri)
      provider = undefined // re-created with the new client list on the next request
    },
    signIn: async (authorizeUrl, login) => await walk(authorizeUrl, login)
  }
}

/** Follows redirects by hand (keeping cookies) through login and consent; stops at a URL off the provider. */
async function walk (start: string, login: string): Promise<string> {
  const origin = new URL(start).origin
  const jar = new Map<string, string>()
  let url = start
  let method = 'GET'
  let body: string | undefined
  for (let hop = 0; hop < 20; hop++) {
    if (new URL(url).origin !== origin) return url
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair!.indexOf('=')
      jar.set(pair!.slice(0, i), pair!.slice(i + 1))
    }
    const location = res.headers.get('location')
    if (location !== null) {
      url = new URL(location, url).href
      method = 'GET'
      body = undefined
      continue
    }
    const html = await res.text()
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
    if (action === undefined) throw new Error(`provider page without a form (${res.status}): ${html.slice(0, 300)}`)
    url = new URL(action.replace(/&amp;/g, '&'), url).href
    method = 'POST'
    body = html.includes('name="login"') ? new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString() : new URLSearchParams({ prompt: 'consent' }).toString()
  }
  throw new Error('too many hops at the provider')
}
