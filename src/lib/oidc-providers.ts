/**
 * OIDC_PROVIDERS (docs/protocol.md, "OpenID Connect sign-in"): a JSON array of the OpenID
 * Connect providers people may sign in with. Each entry: `id` (the URL segment, 1-32 of
 * [a-z0-9_-]), `name` (shown on "Sign in with <name>"), `issuer` (discovery is fetched from
 * `<issuer>/.well-known/openid-configuration`, through the outbound-address checks),
 * `clientId`, `clientSecret` (optional: a public client then), `scopes` (default
 * ["openid", "profile"]; "openid" is always asked for).
 */
export interface OidcProviderConfig {
  id: string
  name: string
  issuer: string
  clientId: string
  clientSecret: string | undefined
  scopes: string[]
}

const ID_RE = /^[a-z0-9_-]{1,32}$/
const SCOPE_RE = /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/

/** Parses and checks the JSON; throws an Error whose message names the problem (config refuses to start). */
export function parseOidcProviders (value: string): OidcProviderConfig[] {
  if (value.trim() === '') return []
  let list: unknown
  try {
    list = JSON.parse(value)
  } catch {
    throw new Error('OIDC_PROVIDERS is not JSON (an array of { id, name, issuer, clientId, clientSecret?, scopes? })')
  }
  if (!Array.isArray(list)) throw new Error('OIDC_PROVIDERS must be a JSON array')
  const seen = new Set<string>()
  return list.map((raw: unknown, i) => {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
    const where = `OIDC_PROVIDERS[${i}]`
    const str = (key: string, max: number): string => {
      const v = e[key]
      if (typeof v !== 'string' || v.trim() === '' || v.length > max) throw new Error(`${where}.${key} must be a non-empty string of at most ${max} characters`)
      return v
    }
    const id = str('id', 32)
    if (!ID_RE.test(id)) throw new Error(`${where}.id must be 1-32 of [a-z0-9_-]`)
    if (seen.has(id)) throw new Error(`${where}.id "${id}" is used twice`)
    seen.add(id)
    const issuer = str('issuer', 512)
    let url: URL
    try {
      url = new URL(issuer)
    } catch {
      throw new Error(`${where}.issuer is not a URL`)
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '') throw new Error(`${where}.issuer must be an http(s) URL without query, fragment or credentials`)
    const secret = e.clientSecret
    if (secret !== undefined && (typeof secret !== 'string' || secret === '')) throw new Error(`${where}.clientSecret must be a non-empty string when given`)
    const scopes = e.scopes ?? ['openid', 'profile']
    if (!Array.isArray(scopes) || scopes.length > 20 || !scopes.every((s): s is string => typeof s === 'string' && SCOPE_RE.test(s))) throw new Error(`${where}.scopes must be an array of scope names`)
    return {
      id,
      name: str('name', 64).trim(),
      issuer,
      clientId: str('clientId', 256),
      clientSecret: secret,
      scopes: scopes.includes('openid') ? scopes : ['openid', ...scopes]
    }
  })
}
