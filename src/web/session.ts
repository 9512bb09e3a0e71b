import { Client, ClientError, createClient, SecondFactorRequiredError, type ClientOptions, type Credentials, type PasskeyCredentialJSON, type PasskeyRequestOptions, type RegisterInput, type Tokens } from '@relay-im/client'

/**
 * The signed-in session: tokens in localStorage (the refresh token rotates, so every new
 * pair is saved), the SDK client, and the way out. Every tab of the page shares the one
 * session: the SDK refreshes one tab at a time (reading the stored pair first) and announces
 * new pairs to the other tabs, and a tab also takes over a pair another tab stored in place
 * of its own.
 */
const KEY = 'relay.tokens'

function loadTokens (): Tokens | undefined {
  try {
    const t = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<Tokens> | null
    if (typeof t?.accessToken === 'string' && typeof t.refreshToken === 'string') return t as Tokens
  } catch {}
  return undefined
}

const parse = (value: string | null): Partial<Tokens> | undefined => {
  try {
    return JSON.parse(value ?? 'null') as Partial<Tokens> | undefined ?? undefined
  } catch {
    return undefined
  }
}

/** The user id an access token names (unverified: only to tell sessions apart). */
function subject (token: string | undefined): string | undefined {
  try {
    const part = token?.split('.')[1]
    if (part === undefined) return undefined
    const claims = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown }
    return typeof claims.sub === 'string' ? claims.sub : undefined
  } catch {
    return undefined
  }
}

const unlisten = new WeakMap<Client, () => void>()

/** A client of the stored session: saves every new pair, and adopts one another tab saved over its own. */
function sessionClient (options: Omit<ClientOptions, 'url' | 'crossTab'> = {}): Client {
  const client = createClient({ ...options, url: '', crossTab: { readTokens: loadTokens } })
  client.on('tokens', (t) => { localStorage.setItem(KEY, JSON.stringify(t)) })
  const onStorage = (e: StorageEvent): void => {
    if (e.key !== KEY) return
    const before = parse(e.oldValue)
    const after = parse(e.newValue)
    const mine = client.tokens
    // Only the rotation of the pair this tab holds, by a tab of the same user.
    if (typeof after?.accessToken !== 'string' || typeof after.refreshToken !== 'string' || before?.refreshToken !== mine.refreshToken) return
    if (after.refreshToken === mine.refreshToken || subject(after.accessToken) !== subject(mine.accessToken)) return
    client.setTokens(after)
  }
  window.addEventListener('storage', onStorage)
  unlisten.set(client, () => { window.removeEventListener('storage', onStorage) })
  return client
}

/** The stored session, checked against the server (refreshing the access token if needed). */
export async function resume (): Promise<Client | undefined> {
  const tokens = loadTokens()
  if (tokens === undefined) return undefined
  const client = sessionClient({ token: tokens.accessToken, refreshToken: tokens.refreshToken })
  try {
    await client.me()
    return client
  } catch (err) {
    close(client)
    // A network failure keeps the tokens for the next try; a refused session does not.
    if (err instanceof ClientError && err.code === 'UNAUTHORIZED') localStorage.removeItem(KEY)
    throw err
  }
}

/** A password accepted for a two-factor account: `finish` with a code signs in (it may be retried with another code). */
export interface SecondStep { finish: (code: string) => Promise<Client>, cancel: () => void }
export const isSecondStep = (r: Client | SecondStep): r is SecondStep => !(r instanceof Client)

/** A failed sign-in step: a second-factor challenge becomes the code step; anything else closes the client and is thrown. */
function secondStepAfter (client: Client, err: unknown): SecondStep {
  if (!(err instanceof SecondFactorRequiredError)) {
    close(client)
    throw err
  }
  return {
    finish: async (code: string) => {
      await client.completeSignIn(err.challenge, code)
      return client
    },
    cancel: () => { close(client) }
  }
}

export async function login (credentials: Credentials): Promise<Client | SecondStep> {
  return await signingIn(async (client) => { await client.login(credentials) })
}

/** The page came back from an OpenID Connect provider with `#oidc=<code>`: exchange it (a second step when two-factor is on). */
export async function finishOidc (code: string): Promise<Client | SecondStep> {
  return await signingIn(async (client) => { await client.finishOidcSignIn(code) })
}

/** Sends the browser to the provider to sign in (`link`: to link it to the signed-in `client`'s account). */
export async function startOidc (provider: string, client?: Client): Promise<void> {
  const anonymous = client === undefined ? createClient({ url: '' }) : undefined
  try {
    const url = client === undefined ? await anonymous!.startOidcSignIn(provider) : await client.linkOidc(provider)
    window.location.assign(url)
  } finally {
    anonymous?.close()
  }
}

async function signingIn (run: (client: Client) => Promise<void>): Promise<Client | SecondStep> {
  const client = sessionClient()
  try {
    await run(client)
    return client
  } catch (err) {
    return secondStepAfter(client, err)
  }
}

/**
 * Signs in with a passkey: `ask` is the browser step (options in, the credential's JSON out;
 * views/passkeys.ts). A passkey without user verification on a two-factor account asks for a code next.
 */
export async function passkeyLogin (username: string | undefined, ask: (options: PasskeyRequestOptions) => Promise<PasskeyCredentialJSON>): Promise<Client | SecondStep> {
  const client = sessionClient()
  try {
    await client.signInWithPasskey(await ask(await client.passkeySignInOptions(username)))
    return client
  } catch (err) {
    return secondStepAfter(client, err)
  }
}

export async function register (input: RegisterInput): Promise<Client> {
  const client = sessionClient()
  await client.register(input)
  return client
}

export async function logout (client: Client): Promise<void> {
  localStorage.removeItem(KEY)
  try {
    await client.logout()
  } catch {}
  close(client)
}

function close (client: Client): void {
  unlisten.get(client)?.()
  client.close()
}

/** The current access token (for `<img src>` and uploads, which do not go through the SDK). */
export function accessToken (client: Client): string {
  return client.tokens.accessToken ?? ''
}
