import { randomUUID } from 'node:crypto'
import { AppError, forbidden } from '../../lib/errors.js'
import { createOutboundAgents, outboundRequest, type AllowedHosts } from '../../lib/outbound-url.js'
import { signature, SIGNATURE_HEADER } from '../../lib/webhook-signature.js'

/**
 * The app's before-send hook (docs/protocol.md, "Server API"): when BEFORE_SEND_URL is set,
 * every send (REST, socket, bots, server API) is shown to it after the content checks and
 * before the send statement. Its answer allows the send, refuses it with a code the sender
 * sees, or replaces the content (checked again by the kind's rule). A timeout, a network
 * error, a redirect or an answer that is not one of those three takes the configured policy.
 * Not configured: no hook object exists and send.ts never awaits anything for it.
 */
export interface BeforeSendInput {
  senderId: string
  conversationId: string
  clientMsgId: string
  type: string
  content: unknown
}

export type BeforeSendVerdict = { action: 'allow' } | { action: 'replace', content: unknown }

export interface BeforeSendOptions {
  url: string
  secret: string
  timeoutMs: number
  /** What a failed call means for the send. */
  onFailure: 'allow' | 'reject'
  allowedHosts: AllowedHosts
  /** The conversation's type, for the hook's payload. */
  conversationType: (conversationId: string) => Promise<string | undefined>
}

export interface BeforeSendHook {
  check: (input: BeforeSendInput) => Promise<BeforeSendVerdict>
  /** Calls that failed (timeout, error, bad answer), by the policy applied; for /metrics. */
  failures: () => { allow: number, reject: number }
  /** Closes its kept-alive connections (app close). */
  close: () => void
}

/** A code the app may give with a refusal: shown to the sender as `FORBIDDEN` "Rejected by the app: <code>". */
const CODE_RE = /^[A-Za-z0-9_.-]{1,64}$/

class BadAnswer extends Error {}

const TYPE_CACHE_MAX = 50_000

function verdictOf (body: Buffer): BeforeSendVerdict | { action: 'reject', code: string } {
  let answer: unknown
  try {
    answer = JSON.parse(body.toString('utf8'))
  } catch {
    throw new BadAnswer('not JSON')
  }
  if (typeof answer !== 'object' || answer === null) throw new BadAnswer('not an object')
  const a = answer as { action?: unknown, code?: unknown, content?: unknown }
  if (a.action === 'allow') return { action: 'allow' }
  if (a.action === 'replace' && a.content !== undefined) return { action: 'replace', content: a.content }
  if (a.action === 'reject') return { action: 'reject', code: typeof a.code === 'string' && CODE_RE.test(a.code) ? a.code : 'rejected' }
  throw new BadAnswer('unknown action')
}

export function createBeforeSendHook (opts: BeforeSendOptions): BeforeSendHook {
  const agents = createOutboundAgents({ maxSockets: 64 })
  const failures = { allow: 0, reject: 0 }

  // A conversation's type never changes, so it is read once: a read per send would queue each
  // send behind the others on PGlite's one connection (measured: 7x fewer sends a second).
  const types = new Map<string, string>()
  async function typeOf (conversationId: string): Promise<string | undefined> {
    const known = types.get(conversationId)
    if (known !== undefined) return known
    const type = await opts.conversationType(conversationId)
    if (type !== undefined) {
      if (types.size >= TYPE_CACHE_MAX) types.clear()
      types.set(conversationId, type)
    }
    return type
  }

  async function call (input: BeforeSendInput): Promise<BeforeSendVerdict | { action: 'reject', code: string }> {
    const conversationType = await typeOf(input.conversationId)
    const body = JSON.stringify({
      id: randomUUID(),
      message: { conversationId: input.conversationId, senderId: input.senderId, clientMsgId: input.clientMsgId, type: input.type, content: input.content },
      conversation: { id: input.conversationId, type: conversationType ?? null }
    })
    const res = await outboundRequest(opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'relay-im-before-send', [SIGNATURE_HEADER]: signature(opts.secret, body) },
      body,
      timeoutMs: opts.timeoutMs,
      maxResponseBytes: 256 * 1024
    }, { allowedHosts: opts.allowedHosts, agents })
    // Redirects are never followed (outboundRequest), and only a 200 carries a verdict.
    if (res.status !== 200) throw new BadAnswer(`status ${res.status}`)
    return verdictOf(res.body)
  }

  return {
    async check (input) {
      let verdict
      try {
        verdict = await call(input)
      } catch (err) {
        if (err instanceof AppError) throw err
        failures[opts.onFailure]++
        if (opts.onFailure === 'allow') return { action: 'allow' }
        throw forbidden('Rejected: the app could not be asked (before-send hook unavailable)')
      }
      if (verdict.action === 'reject') throw forbidden(`Rejected by the app: ${verdict.code}`)
      return verdict
    },
    failures: () => ({ ...failures }),
    close: () => { agents.destroy() }
  }
}
