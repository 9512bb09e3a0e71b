import { accessClaims, CrossTab, type CrossTabOptions } from './cross-tab.js'
import { Emitter } from './emitter.js'
import { uuid } from './util.js'
import { ClientError, errorFromResponse, SecondFactorRequiredError } from './errors.js'
import type { ClientEvents } from './types.js'
import type {
  Block, BlockedUser, Conversation, ConversationPage, Credentials, Friend, FriendRequest, HistoryOptions, HistoryPage,
  ListOptions, Message, MessageContent, MessageType, ProfileUpdate, SendExtras, ReadAck, RegisterInput, Relation, Session, Tokens, User,
  UserWithPresence, VersionInfo, FileContent, Me, PresenceVisibility, SignedFileUrl, SearchOptions, SearchPage, ConversationSettings, SettingsUpdate, NotifyLevel,
  GroupProfileUpdate, Invite, InviteLink, InviteOptions, InvitePreview, BannedMember, ChannelPage, ChannelListOptions, ChannelSummary,
  Bot, BotCreated, BotInput, DeliveriesOptions, PushSubscriptionInfo, PushSubscriptionInput, WebhookDelivery, WebhookInput,
  ThreadListOptions, ThreadMessagePage, ThreadPage, ThreadState,
  RecoveryCodes, SignInResult, TotpEnrolment, TotpStatus, OidcIdentities, OidcProviders,
  Passkey, PasskeyCreationOptions, PasskeyCredentialJSON, PasskeyRequestOptions,
  ScheduledEdit, ScheduledMessage, ScheduleInput
} from './protocol.js'

/** How the client reaches the server and signs in: its URL and any of tokens, credentials, a bot token or a token provider. */
export interface RestOptions {
  /** Server base URL, e.g. https://chat.example.com; '' for the page's own origin. */
  url: string
  token?: string
  refreshToken?: string
  /** Used to sign in when there is no token, or when the refresh token is no longer valid. */
  credentials?: Credentials
  /**
   * Connects as a bot: every REST call carries `Authorization: Bot <token>` and the socket
   * handshake the same token (the one `createBot` returned). No refresh: a revoked token
   * fails with UNAUTHORIZED.
   */
  botToken?: string
  /**
   * For apps whose own backend issues the tokens: called for a fresh access token whenever the
   * SDK needs one (none yet, a REST 401, a refused handshake, `auth:expired`), instead of the
   * SDK's own refresh. Resolve with the access token (or `{ accessToken }`); reject with a
   * `ClientError` `UNAUTHORIZED` when the user has to sign in again. Any other failure counts
   * as a network error (retried while connecting). Concurrent needs share one call.
   */
  tokenProvider?: TokenProvider
  /**
   * Several tabs of one session (browsers): refreshes take turns under a Web Lock named after
   * the server URL, each tab re-reads the stored tokens first (`readTokens`) and announces its
   * new pair to the other tabs on a BroadcastChannel; a tab holding the refresh token that was
   * just rotated adopts the new pair (and emits `tokens`). On by default where the runtime has
   * Web Locks or BroadcastChannel; `false` turns it off.
   */
  crossTab?: CrossTabOptions | false
  /** Per-request limit for REST calls (default 15 s). */
  requestTimeoutMs?: number
  /** The fetch to use (default the global one): a test double, a proxy-aware one. */
  fetch?: typeof fetch
}

/** A file as React Native's pickers give it: `upload` accepts it beside a Blob. */
export interface NativeFile {
  /** `file://`, `content://` or `ph://` URI of the file on the device. */
  uri: string
  name: string
  /** Its MIME type, e.g. `image/jpeg`. */
  type: string
}

const isBlob = (x: unknown): x is Blob => typeof Blob !== 'undefined' && x instanceof Blob

/** What a `tokenProvider` resolves with: an access token, alone or as `{ accessToken }`. */
export type TokenProvider = () => Promise<string | { accessToken: string }>

/** An access token this close to its expiry is not worth adopting from another tab. */
const ADOPT_MARGIN_S = 5

interface RequestOptions {
  body?: unknown
  /** A multipart body (uploads), sent as is instead of JSON. */
  form?: FormData
  query?: Record<string, string | number | undefined>
  /** Sends the access token (and refreshes it once on 401). Default true. */
  auth?: boolean
}

const enc = encodeURIComponent

/** `mute(id, null)`: muted with no end, stated as a time far ahead (the wire has no "forever"). */
export const MUTE_FOREVER = '9999-12-31T23:59:59.000Z'
const FOREVER = MUTE_FOREVER
/** What a browser's `PushSubscription.toJSON()` is typed as (every part optional). */
interface BrowserSubscriptionJson { endpoint?: string, expirationTime?: number | null, keys?: Record<string, string> }
const bearer = (token: string | undefined): string | undefined => token === undefined ? undefined : `Bearer ${token}`

/**
 * The REST half of the SDK: the session (tokens, refresh, login) and one method per route
 * an app needs. Errors are `ClientError`s built from the `{error:{code,message}}` body.
 */
export class RestClient extends Emitter<ClientEvents> {
  readonly url: string
  protected accessToken: string | undefined
  protected refreshToken: string | undefined
  protected credentials: Credentials | undefined
  /** Set when this client acts as a bot (`Authorization: Bot <token>`). */
  protected readonly botToken: string | undefined
  /** The signed-in user, once known (login, register, me). */
  user: User | undefined
  /** Signed upload URLs by upload id (`fileUrl`). */
  private readonly fileLinks = new Map<string, SignedFileUrl>()
  private readonly requestTimeoutMs: number
  private readonly fetchFn: typeof fetch
  private renewing: Promise<Tokens> | undefined
  private readonly tokenProvider: TokenProvider | undefined
  private readonly crossTab: CrossTab | undefined

  constructor (opts: RestOptions) {
    super()
    this.url = opts.url.replace(/\/+$/, '')
    this.accessToken = opts.token
    this.refreshToken = opts.refreshToken
    this.credentials = opts.credentials
    this.botToken = opts.botToken
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000
    this.fetchFn = opts.fetch ?? ((...args) => globalThis.fetch(...args))
    this.tokenProvider = opts.tokenProvider
    if (opts.crossTab !== false && this.botToken === undefined && this.tokenProvider === undefined) {
      this.crossTab = new CrossTab(this.url, opts.crossTab ?? {}, (previous, tokens) => {
        if (previous === this.refreshToken) this.storeTokens(tokens)
      })
    }
  }

  /** Stops listening to other tabs (Client.close() calls it). */
  protected closeCrossTab (): void {
    this.crossTab?.close()
  }

  /** The current tokens (after any refresh), for an app that persists them. */
  get tokens (): Partial<Tokens> {
    return { accessToken: this.accessToken, refreshToken: this.refreshToken }
  }

  /** Replaces the tokens (an app restoring a stored session). */
  setTokens (tokens: Partial<Tokens>): void {
    if (tokens.accessToken !== undefined) this.accessToken = tokens.accessToken
    if (tokens.refreshToken !== undefined) this.refreshToken = tokens.refreshToken
  }

  protected storeTokens (tokens: Tokens): void {
    this.accessToken = tokens.accessToken
    this.refreshToken = tokens.refreshToken
    this.emit('tokens', { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken })
  }

  /** One HTTP call: JSON in, JSON out, ClientError on failure. */
  async request<T> (method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return (await this.requestWithHeaders<T>(method, path, opts)).body
  }

  /** As request(), also giving the response headers (paging cursors). */
  async requestWithHeaders<T> (method: string, path: string, opts: RequestOptions = {}): Promise<{ body: T, headers: Headers }> {
    const auth = opts.auth ?? true
    if (auth && this.botToken !== undefined) return this.finish<T>(await this.fetchJson(method, path, opts, `Bot ${this.botToken}`))
    if (auth && this.accessToken === undefined) await this.renewTokens()
    const used = this.accessToken
    const res = await this.fetchJson(method, path, opts, auth ? bearer(used) : undefined)
    if (res.status === 401 && auth && this.canRenew()) {
      // Another call may have refreshed meanwhile; refresh only if our token is still current.
      if (used === this.accessToken) await this.renewTokens()
      return this.finish<T>(await this.fetchJson(method, path, opts, bearer(this.accessToken)))
    }
    return this.finish<T>(res)
  }

  private async fetchJson (method: string, path: string, opts: RequestOptions, authorization: string | undefined): Promise<{ status: number, body: unknown, headers: Headers }> {
    let url = `${this.url}/api${path}`
    if (opts.query !== undefined) {
      const q = Object.entries(opts.query).filter((e): e is [string, string | number] => e[1] !== undefined)
      if (q.length > 0) url += '?' + q.map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&')
    }
    const headers: Record<string, string> = { accept: 'application/json' }
    if (opts.body !== undefined && opts.form === undefined) headers['content-type'] = 'application/json'
    if (authorization !== undefined) headers.authorization = authorization
    const controller = new AbortController()
    const timer = setTimeout(() => { controller.abort() }, this.requestTimeoutMs)
    try {
      const res = await this.fetchFn(url, {
        method,
        headers,
        body: opts.form ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
        signal: controller.signal
      })
      const text = await res.text()
      let body: unknown
      try {
        body = text === '' ? undefined : JSON.parse(text)
      } catch {
        body = undefined
      }
      return { status: res.status, body, headers: res.headers }
    } catch (err) {
      if (controller.signal.aborted) throw new ClientError('TIMEOUT', `${method} ${path} timed out`)
      throw new ClientError('NETWORK', `${method} ${path} failed: ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
    }
  }

  private finish<T> (res: { status: number, body: unknown, headers: Headers }): { body: T, headers: Headers } {
    if (res.status >= 400) throw errorFromResponse(res.status, res.body)
    return { body: res.body as T, headers: res.headers }
  }

  protected canRenew (): boolean {
    if (this.botToken !== undefined) return false
    return this.tokenProvider !== undefined || this.refreshToken !== undefined || this.credentials !== undefined
  }

  /**
   * Gets a fresh access token: from the tokenProvider, else the refresh token first and the
   * credentials when that fails. Single flight, and across tabs one at a time: a rotated
   * refresh token used again after the server's grace revokes the whole session.
   */
  protected renewTokens (): Promise<Tokens> {
    this.renewing ??= (async () => {
      const stale = this.accessToken
      try {
        if (this.tokenProvider !== undefined) return await this.provided(this.tokenProvider)
        if (this.crossTab === undefined) return await this.renewOwn()
        return await this.crossTab.exclusive(async () => this.newerThan(stale) ?? await this.renewOwn())
      } finally {
        this.renewing = undefined
      }
    })()
    return this.renewing
  }

  private async renewOwn (): Promise<Tokens> {
    if (this.refreshToken !== undefined) {
      try {
        return await this.refresh()
      } catch (err) {
        if (!(err instanceof ClientError) || err.code !== 'UNAUTHORIZED' || this.credentials === undefined) throw err
      }
    }
    if (this.credentials !== undefined) return await this.login(this.credentials)
    throw new ClientError('UNAUTHORIZED', 'No access token, refresh token or credentials', 401)
  }

  /**
   * Under the lock: another tab (stored tokens) or a broadcast already replaced `stale` with a
   * pair of the same user whose access token is still good: that pair, without a refresh.
   */
  private newerThan (stale: string | undefined): Tokens | undefined {
    const stored = this.crossTab?.stored()
    if (stored?.accessToken !== undefined && stored.refreshToken !== undefined && stored.refreshToken !== this.refreshToken) {
      const ours = accessClaims(this.accessToken ?? stale)?.sub
      if (ours === undefined || ours === accessClaims(stored.accessToken)?.sub) this.storeTokens({ accessToken: stored.accessToken, refreshToken: stored.refreshToken })
    }
    if (this.accessToken === undefined || this.accessToken === stale || this.refreshToken === undefined) return undefined
    const exp = accessClaims(this.accessToken)?.exp
    if (exp === undefined || exp - ADOPT_MARGIN_S <= Date.now() / 1000) return undefined
    return { accessToken: this.accessToken, refreshToken: this.refreshToken }
  }

  private async provided (provider: TokenProvider): Promise<Tokens> {
    let answer: string | { accessToken: string }
    try {
      answer = await provider()
    } catch (err) {
      if (err instanceof ClientError) throw err
      throw new ClientError('NETWORK', `tokenProvider failed: ${err instanceof Error ? err.message : String(err)}`)
    }
    const accessToken = typeof answer === 'string' ? answer : answer?.accessToken
    if (typeof accessToken !== 'string' || accessToken === '') throw new ClientError('UNAUTHORIZED', 'tokenProvider gave no access token', 401)
    this.accessToken = accessToken
    return { accessToken, refreshToken: this.refreshToken ?? '' }
  }

  /** The server's protocol and package versions (`GET /api/version`, no sign-in needed). */
  async version (): Promise<VersionInfo> {
    return await this.request<VersionInfo>('GET', '/version', { auth: false })
  }

  // ------------------------------------------------------------ auth

  /** Creates an account and signs in as it (emits `tokens`). */
  async register (input: RegisterInput): Promise<Session> {
    const session = await this.request<Session>('POST', '/auth/register', { body: input, auth: false })
    this.user = session.user
    this.fileLinks.clear()
    this.storeTokens(session)
    return session
  }

  /**
   * Signs in (with the credentials given to createClient when omitted). An account with
   * two-factor sign-in on throws {@link SecondFactorRequiredError}: finish with
   * {@link completeSignIn}.
   */
  async login (credentials: Credentials | undefined = this.credentials): Promise<Session> {
    if (credentials === undefined) throw new ClientError('UNAUTHORIZED', 'No credentials', 401)
    const answer = await this.request<SignInResult>('POST', '/auth/login', { body: { username: credentials.username, password: credentials.password }, auth: false })
    if ('secondFactor' in answer) throw new SecondFactorRequiredError(answer)
    this.credentials = credentials
    return this.startSession(answer)
  }

  private startSession (session: Session): Session {
    this.user = session.user
    this.fileLinks.clear()
    this.storeTokens(session)
    return session
  }

  // ------------------------------------------------------------ two-factor (TOTP)

  /**
   * The second step of signing in to a two-factor account: the challenge from
   * {@link SecondFactorRequiredError} and a current TOTP code or an unused recovery code.
   * Signs in like `login()` (emits `tokens`). A wrong code is UNAUTHORIZED (the challenge
   * takes 5); too many wrong codes in a row are RATE_LIMITED for a while.
   */
  async completeSignIn (challenge: string, code: string): Promise<Session> {
    return this.startSession(await this.request<Session>('POST', '/auth/login/second-factor', { body: { challenge, code }, auth: false }))
  }

  /** Whether two-factor sign-in is on for me, and how many recovery codes are left. */
  async totpStatus (): Promise<TotpStatus> {
    return await this.request<TotpStatus>('GET', '/auth/totp')
  }

  /**
   * Starts enrolment with my current password (FORBIDDEN when wrong): a new secret and its
   * `otpauth://` URL to show as a QR code. Sign-in does not change until {@link confirmTotp}.
   * CONFLICT when two-factor is already on.
   */
  async enrolTotp (password: string): Promise<TotpEnrolment> {
    return await this.request<TotpEnrolment>('POST', '/auth/totp/enrol', { body: { password } })
  }

  /** Turns two-factor sign-in on with a current code; returns the ten recovery codes, shown only this once. */
  async confirmTotp (code: string): Promise<RecoveryCodes> {
    return await this.request<RecoveryCodes>('POST', '/auth/totp/confirm', { body: { code } })
  }

  /** Turns two-factor sign-in off; takes a current code or an unused recovery code (FORBIDDEN otherwise). */
  async disableTotp (code: string): Promise<void> {
    await this.request<void>('POST', '/auth/totp/disable', { body: { code } })
  }

  // ------------------------------------------------------------ passkeys (WebAuthn)
  // The browser step between options and verify (navigator.credentials) is the app's: the SDK
  // only carries JSON (the page uses @simplewebauthn/browser).

  /** Options to add a passkey to my account (challenge single use, 2 minutes). */
  async passkeyRegistrationOptions (): Promise<PasskeyCreationOptions> {
    return await this.request<PasskeyCreationOptions>('POST', '/auth/passkeys/register/options', { body: {} })
  }

  /** Stores the passkey the browser created for those options, under `name`. */
  async registerPasskey (response: PasskeyCredentialJSON, name?: string): Promise<Passkey> {
    return await this.request<Passkey>('POST', '/auth/passkeys/register', { body: name === undefined ? { response } : { response, name } })
  }

  /** My passkeys, oldest first. */
  async passkeys (): Promise<Passkey[]> {
    return await this.request<Passkey[]>('GET', '/auth/passkeys')
  }

  /** Renames one of my passkeys (a label of 1-64 characters); NOT_FOUND for one that is not mine. */
  async renamePasskey (id: string, name: string): Promise<Passkey> {
    return await this.request<Passkey>('PATCH', `/auth/passkeys/${enc(id)}`, { body: { name } })
  }

  /** Removes one of my passkeys; takes my current password (FORBIDDEN when wrong). */
  async removePasskey (id: string, password: string): Promise<void> {
    await this.request<void>('DELETE', `/auth/passkeys/${enc(id)}`, { body: { password } })
  }

  /** Options to sign in with a passkey: any of this site's (no username) or that account's. */
  async passkeySignInOptions (username?: string): Promise<PasskeyRequestOptions> {
    return await this.request<PasskeyRequestOptions>('POST', '/auth/login/passkey/options', { body: username === undefined ? {} : { username }, auth: false })
  }

  /**
   * Signs in with the browser's answer to those options (emits `tokens`). Without user
   * verification an account with two-factor on throws {@link SecondFactorRequiredError}.
   */
  async signInWithPasskey (response: PasskeyCredentialJSON): Promise<Session> {
    const answer = await this.request<SignInResult>('POST', '/auth/login/passkey', { body: { response }, auth: false })
    if ('secondFactor' in answer) throw new SecondFactorRequiredError(answer)
    return this.startSession(answer)
  }

  // ------------------------------------------------------------ OpenID Connect sign-in

  /** The providers to offer "Sign in with <name>" for, and whether password sign-up is on (no sign-in needed). */
  async oidcProviders (): Promise<OidcProviders> {
    return await this.request<OidcProviders>('GET', '/auth/oidc/providers', { auth: false })
  }

  /**
   * Starts signing in with a provider: the URL to send the browser to. The provider sends it
   * back to the server, which redirects to the page with `#oidc=<code>` (or `#oidc-error=...`):
   * finish with {@link finishOidcSignIn}.
   */
  async startOidcSignIn (provider: string): Promise<string> {
    return (await this.request<{ url: string }>('GET', `/auth/oidc/${enc(provider)}/start`, { auth: false })).url
  }

  /**
   * Exchanges the one-time code from `#oidc=<code>` (single use, 60 s) and signs in (emits
   * `tokens`); with two-factor on, throws {@link SecondFactorRequiredError} like `login()`.
   */
  async finishOidcSignIn (code: string): Promise<Session> {
    const answer = await this.request<SignInResult>('POST', '/auth/oidc/exchange', { body: { code }, auth: false })
    if ('secondFactor' in answer) throw new SecondFactorRequiredError(answer)
    return this.startSession(answer)
  }

  /** My linked providers, and whether I have a password. */
  async oidcIdentities (): Promise<OidcIdentities> {
    return await this.request<OidcIdentities>('GET', '/auth/oidc/identities')
  }

  /** Starts linking a provider to my account: the URL to send the browser to (it comes back with `#oidc-linked=<provider>`). */
  async linkOidc (provider: string): Promise<string> {
    return (await this.request<{ url: string }>('POST', `/auth/oidc/${enc(provider)}/link`)).url
  }

  /** Unlinks a provider; CONFLICT when it is my last way to sign in. */
  async unlinkOidc (provider: string): Promise<void> {
    await this.request<void>('DELETE', `/auth/oidc/${enc(provider)}/link`)
  }

  /** Rotates the refresh token and gets a new access token; emits `tokens`. */
  async refresh (): Promise<Tokens> {
    const previous = this.refreshToken
    if (previous === undefined) throw new ClientError('UNAUTHORIZED', 'No refresh token', 401)
    const tokens = await this.request<Tokens>('POST', '/auth/refresh', { body: { refreshToken: previous }, auth: false })
    this.storeTokens(tokens)
    this.crossTab?.announce(previous, tokens)
    return tokens
  }

  /** Ends the session on the server and forgets the tokens and credentials. */
  async logout (): Promise<void> {
    const refreshToken = this.refreshToken
    this.accessToken = undefined
    this.refreshToken = undefined
    this.credentials = undefined
    this.user = undefined
    this.fileLinks.clear() // they are signed for this user
    if (refreshToken !== undefined) await this.request<void>('POST', '/auth/logout', { body: { refreshToken }, auth: false })
  }

  // ------------------------------------------------------------ users

  /** My own profile, with my role and presence setting. */
  async me (): Promise<Me> {
    const me = await this.request<Me>('GET', '/users/me')
    this.user = me
    return me
  }

  /** Changes my profile (display name, avatar, presence visibility). */
  async updateMe (patch: ProfileUpdate): Promise<Me> {
    const me = await this.request<Me>('PATCH', '/users/me', { body: patch })
    this.user = me
    return me
  }

  /**
   * Who sees whether I am online and when I was last seen: `everyone`, `contacts` (friends,
   * the default) or `nobody`. Friends are told at once (`presence` with `hidden: true`).
   */
  async setPresenceVisibility (visibility: PresenceVisibility): Promise<Me> {
    return await this.updateMe({ presenceVisibility: visibility })
  }

  /** Username prefix search. */
  async searchUsers (q: string, limit?: number): Promise<User[]> {
    return await this.request('GET', '/users', { query: { q, limit } })
  }

  /** A user with their presence (as much as they show me). */
  async getUser (userId: string): Promise<UserWithPresence> {
    return await this.request('GET', `/users/${enc(userId)}`)
  }

  // ------------------------------------------------------------ friends and blocks

  /** Asks a user to be friends; if they already asked me, this accepts theirs. */
  async sendFriendRequest (toUserId: string, message?: string): Promise<FriendRequest> {
    return await this.request('POST', '/friends/requests', { body: message === undefined ? { toUserId } : { toUserId, message } })
  }

  /** Pending friend requests to me (`incoming`, the default) or from me (`outgoing`). */
  async friendRequests (direction: 'incoming' | 'outgoing' = 'incoming'): Promise<FriendRequest[]> {
    return await this.request('GET', '/friends/requests', { query: { direction } })
  }

  /** Accepts a request to me: we are friends (both sides get `friend:accepted`). */
  async acceptFriendRequest (requestId: string): Promise<FriendRequest> {
    return await this.request('POST', `/friends/requests/${enc(requestId)}/accept`)
  }

  /** Declines a request to me. */
  async declineFriendRequest (requestId: string): Promise<FriendRequest> {
    return await this.request('POST', `/friends/requests/${enc(requestId)}/decline`)
  }

  /** Cancels a request I sent. */
  async cancelFriendRequest (requestId: string): Promise<void> {
    await this.request('DELETE', `/friends/requests/${enc(requestId)}`)
  }

  /** My friends with their presence. */
  async friends (): Promise<Friend[]> {
    return await this.request('GET', '/friends')
  }

  /** Whether I am friends with a user and whether either of us blocked the other. */
  async relation (userId: string): Promise<Relation> {
    return await this.request('GET', `/friends/${enc(userId)}`)
  }

  /** Ends a friendship (both sides get `friend:removed`). */
  async removeFriend (userId: string): Promise<void> {
    await this.request('DELETE', `/friends/${enc(userId)}`)
  }

  /** Blocks a user: ends the friendship and pending requests both ways; repeating it is a no-op. */
  async block (userId: string): Promise<Block> {
    return await this.request('POST', `/blocks/${enc(userId)}`)
  }

  /** Lifts my block of a user. */
  async unblock (userId: string): Promise<void> {
    await this.request('DELETE', `/blocks/${enc(userId)}`)
  }

  /** The users I blocked, newest first. */
  async blocks (): Promise<BlockedUser[]> {
    return await this.request('GET', '/blocks')
  }

  // ------------------------------------------------------------ conversations

  /** Newest activity first; one page (see conversationsPage for the cursor of the next). */
  async conversations (opts: ListOptions = {}): Promise<Conversation[]> {
    return (await this.conversationsPage(opts)).conversations
  }

  /** One page, newest activity first, with the cursor of the next page (absent on the last). */
  async conversationsPage (opts: ListOptions = {}): Promise<ConversationPage> {
    const { body, headers } = await this.requestWithHeaders<Conversation[]>('GET', '/conversations', { query: { limit: opts.limit, cursor: opts.cursor, archived: opts.archived === true ? 'true' : undefined } })
    const nextCursor = headers.get('x-next-cursor') ?? undefined
    return nextCursor === undefined || nextCursor === '' ? { conversations: body } : { conversations: body, nextCursor }
  }

  /** One conversation I am a member of, with my unread counts and settings. */
  async conversation (conversationId: string): Promise<Conversation> {
    return await this.request('GET', `/conversations/${enc(conversationId)}`)
  }

  /** The 1:1 conversation with a friend (created on first use). */
  async directConversation (userId: string): Promise<Conversation> {
    return await this.request('POST', '/conversations/direct', { body: { userId } })
  }

  /** Creates a group with me as owner and these members (friends). */
  async createGroup (name: string, memberIds: string[]): Promise<Conversation> {
    return await this.request('POST', '/groups', { body: { name, memberIds } })
  }

  /** Adds members to a group (owner, admins). Resolves with the group. */
  async addGroupMembers (groupId: string, userIds: string[]): Promise<Conversation> {
    return await this.request('POST', `/groups/${enc(groupId)}/members`, { body: { userIds } })
  }

  /** Removes a member (owner, admins); a removal by someone else is a ban until `unban`. Your own id leaves. */
  async removeGroupMember (groupId: string, userId: string): Promise<Conversation> {
    return await this.request('DELETE', `/groups/${enc(groupId)}/members/${enc(userId)}`)
  }

  // ------------------------------------------------------------ v2: my settings of a conversation

  /** Changes my own settings of a conversation (others see nothing); returns all of them. */
  async updateSettings (conversationId: string, patch: SettingsUpdate): Promise<ConversationSettings> {
    return await this.request('PATCH', `/conversations/${enc(conversationId)}/settings`, { body: patch })
  }

  /** Keeps the conversation at the top of my list (`pinned: false` lets it go). */
  async pinConversation (conversationId: string, pinned = true): Promise<ConversationSettings> {
    return await this.updateSettings(conversationId, { pinned })
  }

  /** Moves the conversation to my archive (listed with `{ archived: true }`); a new message brings it back unless muted. */
  async archiveConversation (conversationId: string, archived = true): Promise<ConversationSettings> {
    return await this.updateSettings(conversationId, { archived })
  }

  /** Whose messages notify me: all, only those that mention me (or "all"), or none. */
  async setNotify (conversationId: string, notify: NotifyLevel): Promise<ConversationSettings> {
    return await this.updateSettings(conversationId, { notify })
  }

  /**
   * Mutes the conversation for `durationMs` from now, or until a given time; `null` mutes it
   * with no end and `0` unmutes it. A muted conversation stays archived when a message comes.
   */
  async mute (conversationId: string, until: number | Date | null): Promise<ConversationSettings> {
    let mutedUntil: string | null
    if (until === 0) mutedUntil = null
    else if (until === null) mutedUntil = FOREVER
    else mutedUntil = (until instanceof Date ? until : new Date(Date.now() + until)).toISOString()
    return await this.updateSettings(conversationId, { mutedUntil })
  }

  /** Ends a mute. */
  async unmute (conversationId: string): Promise<ConversationSettings> {
    return await this.updateSettings(conversationId, { mutedUntil: null })
  }

  // ------------------------------------------------------------ v2: groups

  /** Renames the group, sets or clears its topic and avatar (owner and admins). */
  async updateGroup (groupId: string, patch: GroupProfileUpdate): Promise<Conversation> {
    return await this.request('PATCH', `/groups/${enc(groupId)}`, { body: patch })
  }

  /**
   * Retention: keeps the group's or channel's messages `days` days (within the server's bounds),
   * or `null` for the server's default (owner and admins). Older ones are purged by the server.
   */
  async setRetention (groupId: string, days: number | null): Promise<Conversation> {
    return await this.request('PUT', `/groups/${enc(groupId)}/retention`, { body: { days } })
  }

  /** Makes a member an admin or an admin a member again (the owner only). */
  async setRole (groupId: string, userId: string, role: 'admin' | 'member'): Promise<Conversation> {
    return await this.request('PUT', `/groups/${enc(groupId)}/members/${enc(userId)}/role`, { body: { role } })
  }

  /** Hands the group to another member (the owner only); the old owner becomes an admin. */
  async transferOwnership (groupId: string, userId: string): Promise<Conversation> {
    return await this.request('POST', `/groups/${enc(groupId)}/transfer`, { body: { userId } })
  }

  /**
   * Leaves a group or channel. An owner who leaves hands the group to the oldest admin,
   * else the oldest member.
   */
  async leaveGroup (groupId: string): Promise<void> {
    await this.request('DELETE', `/groups/${enc(groupId)}/members/me`)
  }

  /** A new invite link code (owner and admins). */
  async createInvite (groupId: string, opts: InviteOptions = {}): Promise<Invite> {
    return await this.request('POST', `/groups/${enc(groupId)}/invites`, { body: opts })
  }

  /** The group's live invites, newest first, without their codes (owner and admins). */
  async invites (groupId: string): Promise<InviteLink[]> {
    return await this.request('GET', `/groups/${enc(groupId)}/invites`)
  }

  /** Revokes an invite by its code or its id (from `invites`); it then gives NOT_FOUND to everyone. */
  async revokeInvite (groupId: string, codeOrId: string): Promise<void> {
    await this.request('DELETE', `/groups/${enc(groupId)}/invites/${enc(codeOrId)}`)
  }

  /** Users removed from a group or channel by its owner or an admin, newest first (owner and admins). */
  async bans (groupId: string): Promise<BannedMember[]> {
    return await this.request('GET', `/groups/${enc(groupId)}/bans`)
  }

  /**
   * Bans a user (owner and admins): a member is removed (admins ban plain members only);
   * anyone else (one who left, one who never joined) can no longer join or use an invite.
   */
  async ban (groupId: string, userId: string): Promise<void> {
    await this.request('PUT', `/groups/${enc(groupId)}/bans/${enc(userId)}`)
  }

  /** Lifts a ban: the user may join the channel again, or use an invite to the group (owner and admins). */
  async unban (groupId: string, userId: string): Promise<void> {
    await this.request('DELETE', `/groups/${enc(groupId)}/bans/${enc(userId)}`)
  }

  /** What an invite leads to (any signed-in user); NOT_FOUND once expired, used up or revoked. */
  async previewInvite (code: string): Promise<InvitePreview> {
    return await this.request('GET', `/invites/${enc(code)}`)
  }

  /** Joins the group an invite leads to and returns it. */
  async joinInvite (code: string): Promise<Conversation> {
    return await this.request('POST', `/invites/${enc(code)}/join`)
  }

  // ------------------------------------------------------------ v2: channels

  /** A new public channel, with me as its owner. */
  async createChannel (name: string, topic?: string): Promise<Conversation> {
    return await this.request('POST', '/channels', { body: topic === undefined ? { name } : { name, topic } })
  }

  /** Public channels whose name contains `q` (all when absent), most members first, one page. */
  async channels (opts: ChannelListOptions = {}): Promise<ChannelPage> {
    const { body, headers } = await this.requestWithHeaders<ChannelSummary[] | ChannelPage>('GET', '/channels', { query: { q: opts.q === '' ? undefined : opts.q, limit: opts.limit, cursor: opts.cursor } })
    // The list is the body; the next page's cursor the x-next-cursor header (as conversations).
    const list = Array.isArray(body) ? body : body.channels
    const nextCursor = headers.get('x-next-cursor') ?? (Array.isArray(body) ? undefined : body.nextCursor)
    return nextCursor === undefined || nextCursor === null || nextCursor === '' ? { channels: list } : { channels: list, nextCursor }
  }

  /** Joins a public channel and returns it (its history is readable before joining too). */
  async joinChannel (channelId: string): Promise<Conversation> {
    return await this.request('POST', `/channels/${enc(channelId)}/join`)
  }

  /** Leaves a channel (the same route as leaving a group). */
  async leaveChannel (channelId: string): Promise<void> {
    await this.leaveGroup(channelId)
  }

  /** A page of messages: `before` (newest first), `after` (oldest first) or the latest. */
  async history (conversationId: string, opts: HistoryOptions = {}): Promise<HistoryPage> {
    return await this.request('GET', `/conversations/${enc(conversationId)}/messages`, { query: { before: opts.before, after: opts.after, limit: opts.limit } })
  }

  /** A conversation's threads, latest reply first, with my state of each; pass `nextBefore` as `before` for the next page. */
  async threads (conversationId: string, opts: ThreadListOptions = {}): Promise<ThreadPage> {
    return await this.request('GET', `/conversations/${enc(conversationId)}/threads`, { query: { before: opts.before, limit: opts.limit } })
  }

  /** My state of one thread (following, read position, unread, mentions) and its summary. */
  async thread (conversationId: string, rootId: string): Promise<ThreadState> {
    return await this.request('GET', `/conversations/${enc(conversationId)}/threads/${enc(rootId)}`)
  }

  /** A page of a thread's replies with its root: `before` (newest first), `after` (oldest first) or the latest. */
  async threadMessages (conversationId: string, rootId: string, opts: HistoryOptions = {}): Promise<ThreadMessagePage> {
    return await this.request('GET', `/conversations/${enc(conversationId)}/threads/${enc(rootId)}/messages`, { query: { before: opts.before, after: opts.after, limit: opts.limit } })
  }

  /** Follows a thread (its replies notify me); the root's author and repliers follow already. */
  async followThread (conversationId: string, rootId: string): Promise<ThreadState> {
    return await this.request('PUT', `/conversations/${enc(conversationId)}/threads/${enc(rootId)}/follow`, { body: { following: true } })
  }

  /** Stops following a thread (a later reply of my own follows it again). */
  async unfollowThread (conversationId: string, rootId: string): Promise<ThreadState> {
    return await this.request('PUT', `/conversations/${enc(conversationId)}/threads/${enc(rootId)}/follow`, { body: { following: false } })
  }

  /** Moves my read position in a thread forward to `seq` (a reply's seq); answers my state. */
  async markThreadRead (conversationId: string, rootId: string, seq: number): Promise<ThreadState> {
    return await this.request('POST', `/conversations/${enc(conversationId)}/threads/${enc(rootId)}/read`, { body: { seq } })
  }

  /**
   * My text messages matching `q`, newest first: English words (websearch syntax: "a phrase",
   * or, -word) or substrings (Chinese). Pass the page's `nextCursor` as `cursor` for the next.
   */
  async search (q: string, opts: SearchOptions = {}): Promise<SearchPage> {
    const { body, headers } = await this.requestWithHeaders<SearchPage['results']>('GET', '/search/messages', { query: { q, conversationId: opts.conversationId, limit: opts.limit, cursor: opts.cursor } })
    const nextCursor = headers.get('x-next-cursor') ?? undefined
    return nextCursor === undefined || nextCursor === '' ? { results: body } : { results: body, nextCursor }
  }

  /** Sends over HTTP (no socket needed); a repeat of a clientMsgId returns the original. */
  async postMessage (conversationId: string, message: SendExtras & { clientMsgId: string } & (
    { type: MessageType, content: MessageContent } | { forwardOf: string })): Promise<Message> {
    return await this.request('POST', `/conversations/${enc(conversationId)}/messages`, { body: message })
  }

  /** The conversation's pinned messages, latest pin first. */
  async pins (conversationId: string): Promise<Message[]> {
    return await this.request('GET', `/conversations/${enc(conversationId)}/pins`)
  }

  /** Hides a message from your own history and devices only (they get `message:hidden`). */
  async deleteForMe (conversationId: string, messageId: string): Promise<void> {
    await this.request('DELETE', `/conversations/${enc(conversationId)}/messages/${enc(messageId)}`, { query: { for: 'me' } })
  }

  /**
   * Clears your own history up to `uptoSeq` (default: everything so far); later messages show
   * again. Your devices get `conversation:cleared`; nobody else sees a change.
   */
  async clearHistory (conversationId: string, uptoSeq?: number): Promise<void> {
    await this.request('POST', `/conversations/${enc(conversationId)}/clear`, { body: uptoSeq === undefined ? {} : { uptoSeq } })
  }

  /** Moves the read position over REST (the socket `markRead` prefers the live connection). */
  async markReadRest (conversationId: string, seq: number): Promise<ReadAck> {
    return await this.request('POST', `/conversations/${enc(conversationId)}/read`, { body: { seq } })
  }

  // ------------------------------------------------------------ push notifications

  /** The server's VAPID public key (base64url), the `applicationServerKey` of `pushManager.subscribe`. */
  async getVapidPublicKey (): Promise<string> {
    return (await this.request<{ publicKey: string }>('GET', '/push/vapid-public-key')).publicKey
  }

  /**
   * Registers a browser push subscription for the signed-in user: pass `subscription.toJSON()`
   * (endpoint and the p256dh/auth keys). Returns its id, for deletePushSubscription.
   */
  async subscribePush (subscription: PushSubscriptionInput | BrowserSubscriptionJson): Promise<{ id: string }> {
    const { endpoint, keys, expirationTime } = subscription
    // Missing parts go as empty strings: the server answers VALIDATION, as for any bad input.
    const body: PushSubscriptionInput = { endpoint: endpoint ?? '', keys: { p256dh: keys?.p256dh ?? '', auth: keys?.auth ?? '' } }
    if (typeof expirationTime === 'number') body.expirationTime = expirationTime
    return await this.request('POST', '/push/subscriptions', { body })
  }

  /** My push subscriptions. */
  async listPushSubscriptions (): Promise<PushSubscriptionInfo[]> {
    return await this.request('GET', '/push/subscriptions')
  }

  /** Removes one of my push subscriptions. */
  async deletePushSubscription (subscriptionId: string): Promise<void> {
    await this.request('DELETE', `/push/subscriptions/${enc(subscriptionId)}`)
  }

  // ------------------------------------------------------------ scheduled messages

  /**
   * Schedules a message: the server sends it once at `sendAt` (at least 10 s and at most a
   * year ahead; a Date or an ISO string) as an ordinary message with its clientMsgId (made
   * here when absent). Repeating it with the same clientMsgId returns the first one. My
   * devices get `scheduled:updated` on every change of it, failures included.
   */
  async scheduleMessage (conversationId: string, input: Omit<ScheduleInput, 'sendAt'> & { sendAt: string | Date }): Promise<ScheduledMessage> {
    const sendAt = input.sendAt instanceof Date ? input.sendAt.toISOString() : input.sendAt
    return await this.request('POST', `/conversations/${enc(conversationId)}/scheduled`, { body: { ...input, sendAt, clientMsgId: input.clientMsgId ?? uuid() } })
  }

  /** My scheduled messages not yet sent (failed ones included, with their `error`), soonest first; in one conversation when given. */
  async listScheduled (conversationId?: string): Promise<ScheduledMessage[]> {
    return await this.request('GET', '/scheduled', { query: { conversationId } })
  }

  /** Changes a scheduled message's content or time while it waits; a failed one is scheduled again with a new `sendAt`. */
  async editScheduled (scheduledId: string, edit: Omit<ScheduledEdit, 'sendAt'> & { sendAt?: string | Date }): Promise<ScheduledMessage> {
    const body = { ...edit, ...(edit.sendAt === undefined ? {} : { sendAt: edit.sendAt instanceof Date ? edit.sendAt.toISOString() : edit.sendAt }) }
    return await this.request('PATCH', `/scheduled/${enc(scheduledId)}`, { body })
  }

  /** Cancels a scheduled message while it waits (or dismisses a failed one). CONFLICT once its time came. */
  async cancelScheduled (scheduledId: string): Promise<void> {
    await this.request('DELETE', `/scheduled/${enc(scheduledId)}`)
  }

  // ------------------------------------------------------------ bots

  /** Creates a bot owned by me; the token is returned only here (connect with `botToken`). */
  async createBot (input: BotInput): Promise<BotCreated> {
    return await this.request('POST', '/bots', { body: input })
  }

  /** The bots I own. */
  async listBots (): Promise<Bot[]> {
    return await this.request('GET', '/bots')
  }

  /** Deletes one of my bots. */
  async deleteBot (botId: string): Promise<void> {
    await this.request('DELETE', `/bots/${enc(botId)}`)
  }

  /** Replaces the bot's token: the old one stops working at once (its sockets are cut). */
  async rotateBotToken (botId: string): Promise<{ token: string }> {
    return await this.request('POST', `/bots/${enc(botId)}/token`)
  }

  /**
   * Every `message:new` in the bot's conversations is POSTed to `url`, signed with `secret`
   * (`X-Relay-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`).
   */
  async setWebhook (botId: string, webhook: WebhookInput): Promise<Bot> {
    return await this.request('PUT', `/bots/${enc(botId)}/webhook`, { body: webhook })
  }

  /** Removes a bot's webhook: messages are no longer posted to it. */
  async deleteWebhook (botId: string): Promise<void> {
    await this.request('DELETE', `/bots/${enc(botId)}/webhook`)
  }

  /** The bot's webhook delivery log, for its owner: one row per attempt, newest first. */
  async listDeliveries (botId: string, opts: DeliveriesOptions = {}): Promise<WebhookDelivery[]> {
    return await this.request('GET', `/bots/${enc(botId)}/deliveries`, { query: { limit: opts.limit, before: opts.before } })
  }

  // ------------------------------------------------------------ uploads

  /**
   * Uploads one file (`POST /api/uploads`, multipart) and returns the content of an image or
   * file message: `send({ conversationId, type: 'image', content })`. `file` is a Blob/File
   * (browsers, Node 20+) or React Native's `{ uri, name, type }` (a picker's result, which
   * React Native's FormData reads from `uri`); the server checks the type against its
   * allowlist and the first bytes.
   */
  async upload (file: Blob | NativeFile, name?: string): Promise<FileContent> {
    const form = new FormData()
    if (isBlob(file)) {
      form.append('file', file, name ?? (file as { name?: string }).name ?? 'file')
    } else {
      if (typeof file?.uri !== 'string' || file.uri === '' || typeof file.type !== 'string' || file.type === '') {
        throw new ClientError('VALIDATION', 'upload: give a Blob, or { uri, name, type } with a non-empty uri and type')
      }
      const part: NativeFile = { uri: file.uri, name: name ?? (typeof file.name === 'string' && file.name !== '' ? file.name : 'file'), type: file.type }
      // React Native's FormData sends this shape as a file part (it is not a Blob there).
      form.append('file', part as unknown as Blob)
    }
    return await this.request<FileContent>('POST', '/uploads', { form })
  }

  /**
   * A signed URL of an upload (`GET /api/uploads/:id/link`): it downloads the file for me
   * only, without the Authorization header (for `<img src>` and links), until `expiresAt`,
   * and only while I may still see a message carrying the file. No token is ever put in it.
   */
  async fileLink (uploadId: string): Promise<SignedFileUrl> {
    const link = await this.request<SignedFileUrl>('GET', `/uploads/${enc(uploadId)}/link`)
    return { url: `${this.url}${link.url}`, expiresAt: link.expiresAt }
  }

  /**
   * The URL an `<img src>` or a download can load, for a file message's `content.url`: an
   * upload's signed URL (`fileLink`, kept until a minute before it expires), any other URL as
   * it is.
   */
  async fileUrl (url: string): Promise<string> {
    const id = /^\/api\/uploads\/([0-9a-fA-F-]{36})$/.exec(url)?.[1]
    if (id === undefined) return url
    const cached = this.fileLinks.get(id)
    if (cached !== undefined && Date.parse(cached.expiresAt) - Date.now() > 60_000) return cached.url
    const link = await this.fileLink(id)
    if (this.fileLinks.size >= 500) this.fileLinks.clear()
    this.fileLinks.set(id, link)
    return link.url
  }
}
