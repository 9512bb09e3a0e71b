import { outboundRequest, type AllowedHosts, type OutboundAgents } from './outbound-url.js'
import { signature, SIGNATURE_HEADER } from './webhook-signature.js'

/** Longest wait between two attempts of a signed delivery. */
const MAX_BACKOFF_MS = 3_600_000
/** What a delivery log keeps of a receiver's error or answer. */
export const ERROR_CHARS = 200

/** The wait before attempt n+1 after n failures: base·2^(n-1), capped, with jitter (between half and all of it). */
export function backoffMs (baseMs: number, failures: number, random = Math.random): number {
  const full = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 40)))
  return Math.round(full / 2 + random() * full / 2)
}

export interface SignedPost {
  url: string
  secret: string
  /** The receiver's dedupe key (Idempotency-Key): the same for every attempt at one delivery. */
  idempotencyKey: string
  body: string
  userAgent: string
  timeoutMs: number
}

export interface SignedPostResult { ok: boolean, code: number | null, error: string | null }

/**
 * One POST of a signed JSON body (bot webhooks, app events) through the outbound-address
 * checks: 2xx is delivered; a redirect is never followed; anything else is a failure with what
 * the delivery log keeps of it. Never throws.
 */
export async function postSigned (p: SignedPost, ctx: { allowedHosts: AllowedHosts, agents: OutboundAgents }): Promise<SignedPostResult> {
  try {
    const res = await outboundRequest(p.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': p.userAgent,
        'idempotency-key': p.idempotencyKey,
        [SIGNATURE_HEADER]: signature(p.secret, p.body)
      },
      body: p.body,
      timeoutMs: p.timeoutMs,
      maxResponseBytes: 4096
    }, ctx)
    const ok = res.status >= 200 && res.status < 300
    return { code: res.status, ok, error: ok ? null : (res.status >= 300 && res.status < 400 ? 'redirect not followed' : res.body.toString('utf8').slice(0, ERROR_CHARS) || null) }
  } catch (err) {
    return { code: null, ok: false, error: String((err as Error).message ?? err).slice(0, ERROR_CHARS) }
  }
}
