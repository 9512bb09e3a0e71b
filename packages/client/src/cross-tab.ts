/**
 * One session shared by several tabs (or workers) of a browser: refreshes take turns under a
 * Web Lock, and a tab that rotated the refresh token tells the others on a BroadcastChannel.
 * Both are optional: a runtime without them (Node, React Native) refreshes as before, and the
 * server's reuse grace covers what is left of the race.
 */
import type { Tokens } from './protocol.js'

/** How tabs of one session share token refreshes (the `crossTab` option). */
export interface CrossTabOptions {
  /**
   * Reads the tokens the app stored (say from localStorage). Called under the refresh lock,
   * before the SDK uses its own refresh token: a pair another tab stored meanwhile is taken
   * instead of refreshing with a token that tab already spent.
   */
  readTokens?: () => Partial<Tokens> | undefined
  /** The lock and channel name (default: one per server URL). */
  name?: string
}

// The parts of the Web Locks and BroadcastChannel APIs used here, declared so that no DOM type
// reaches the package's declarations (apps compiled without the DOM lib use them too).
interface LockManagerLike { request: <T>(name: string, callback: () => Promise<T>) => Promise<T> }
interface ChannelLike {
  onmessage: ((event: { data: unknown }) => void) | null
  postMessage: (message: unknown) => void
  close: () => void
  /** Node: lets the process exit while the channel is open. */
  unref?: () => void
}
type ChannelConstructor = new (name: string) => ChannelLike

/** What one tab tells the others: the refresh token `previous` was rotated into this pair. */
interface Rotation { type: 'relay-im/tokens', previous: string, accessToken: string, refreshToken: string }

const isRotation = (data: unknown): data is Rotation => {
  const m = data as Partial<Rotation> | null
  return typeof m === 'object' && m !== null && m.type === 'relay-im/tokens' && typeof m.previous === 'string' &&
    typeof m.accessToken === 'string' && typeof m.refreshToken === 'string'
}

export class CrossTab {
  private readonly name: string
  private readonly locks: LockManagerLike | undefined
  private readonly channel: ChannelLike | undefined
  private readonly readTokens: (() => Partial<Tokens> | undefined) | undefined

  /** `onRotation` hears another tab's rotation of `previous`; it adopts the pair if it holds that token. */
  constructor (url: string, opts: CrossTabOptions, onRotation: (previous: string, tokens: Tokens) => void) {
    this.name = opts.name ?? `@relay-im/client session ${url}`
    this.readTokens = opts.readTokens
    const g = globalThis as { navigator?: { locks?: LockManagerLike }, BroadcastChannel?: ChannelConstructor }
    this.locks = typeof g.navigator?.locks?.request === 'function' ? g.navigator.locks : undefined
    if (typeof g.BroadcastChannel === 'function') {
      const channel = new g.BroadcastChannel(this.name)
      channel.onmessage = (event) => {
        if (isRotation(event.data)) onRotation(event.data.previous, { accessToken: event.data.accessToken, refreshToken: event.data.refreshToken })
      }
      channel.unref?.()
      this.channel = channel
    }
  }

  /** Runs `fn` while no other tab of this session refreshes (at once where there are no Web Locks). */
  async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    if (this.locks === undefined) return await fn()
    let ran = false
    try {
      return await this.locks.request(this.name, async () => { ran = true; return await fn() })
    } catch (err) {
      // Refused before it ran (an opaque origin, a document being torn down): go without the lock.
      if (ran) throw err
      return await fn()
    }
  }

  /** The tokens the app stored, if it said how to read them. */
  stored (): Partial<Tokens> | undefined {
    try {
      return this.readTokens?.()
    } catch {
      return undefined
    }
  }

  announce (previous: string, tokens: Tokens): void {
    const message: Rotation = { type: 'relay-im/tokens', previous, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }
    try {
      this.channel?.postMessage(message)
    } catch {}
  }

  close (): void {
    this.channel?.close()
  }
}

/** The subject and expiry of a JWT access token, read without checking it (the server does). */
export function accessClaims (token: string | undefined): { sub?: string, exp?: number } | undefined {
  const part = token?.split('.')[1]
  const atob = (globalThis as { atob?: (s: string) => string }).atob
  if (part === undefined || atob === undefined) return undefined
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='))
    const claims = JSON.parse(json) as { sub?: unknown, exp?: unknown }
    return {
      ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
      ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {})
    }
  } catch {
    return undefined
  }
}
