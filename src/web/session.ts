import { ClientError, createClient, type Client, type Credentials, type RegisterInput, type Tokens } from '@relay-im/client'

/**
 * The signed-in session: tokens in localStorage (the refresh token rotates, so every new
 * pair is saved), the SDK client, and the way out.
 */
const KEY = 'relay.tokens'

function loadTokens (): Tokens | undefined {
  try {
    const t = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<Tokens> | null
    if (typeof t?.accessToken === 'string' && typeof t.refreshToken === 'string') return t as Tokens
  } catch {}
  return undefined
}

function persist (client: Client): Client {
  client.on('tokens', (t) => { localStorage.setItem(KEY, JSON.stringify(t)) })
  return client
}

/** The stored session, checked against the server (refreshing the access token if needed). */
export async function resume (): Promise<Client | undefined> {
  const tokens = loadTokens()
  if (tokens === undefined) return undefined
  const client = persist(createClient({ url: '', token: tokens.accessToken, refreshToken: tokens.refreshToken }))
  try {
    await client.me()
    return client
  } catch (err) {
    client.close()
    // A network failure keeps the tokens for the next try; a refused session does not.
    if (err instanceof ClientError && err.code === 'UNAUTHORIZED') localStorage.removeItem(KEY)
    throw err
  }
}

export async function login (credentials: Credentials): Promise<Client> {
  const client = persist(createClient({ url: '' }))
  await client.login(credentials)
  return client
}

export async function register (input: RegisterInput): Promise<Client> {
  const client = persist(createClient({ url: '' }))
  await client.register(input)
  return client
}

export async function logout (client: Client): Promise<void> {
  localStorage.removeItem(KEY)
  try {
    await client.logout()
  } catch {}
  client.close()
}

/** The current access token (for `<img src>` and uploads, which do not go through the SDK). */
export function accessToken (client: Client): string {
  return client.tokens.accessToken ?? ''
}
