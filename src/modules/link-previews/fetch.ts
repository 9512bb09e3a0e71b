import { outboundRequest, OutboundUrlError, type AllowedHosts, type OutboundAgents, type OutboundResponse } from '../../lib/outbound-url.js'

/** Redirects followed at most, each one checked like the first URL. */
export const MAX_REDIRECTS = 5

export interface FetchContext {
  allowedHosts: AllowedHosts
  agents: OutboundAgents
  /** One request, connect to last byte. */
  timeoutMs: number
}

export interface Fetched {
  /** Where the answer finally came from (after redirects). */
  url: URL
  response: OutboundResponse
  /** The media type, lower-case, without parameters. */
  mime: string
}

/** Why a fetch gave nothing (logged, never shown to users). */
export class FetchRefused extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'FetchRefused'
  }
}

const mimeOf = (header: string | string[] | undefined): string =>
  ((Array.isArray(header) ? header[0] : header) ?? '').split(';')[0]!.trim().toLowerCase()

/**
 * GET with redirects followed by hand: every hop goes through outboundRequest, so each
 * Location is checked again (scheme, credentials, literal address; names resolved once and
 * checked at connect time by the guarded agent, which connects to the very address it
 * checked) before anything is sent there. The whole chain shares one deadline of twice the
 * per-request timeout; at most `maxBytes` of a body is read (`truncated` says when cut).
 */
export async function fetchFollowing (target: string, opts: { accept: string, maxBytes: number }, ctx: FetchContext): Promise<Fetched> {
  const deadline = Date.now() + 2 * ctx.timeoutMs
  let url = new URL(target)
  for (let hop = 0; ; hop++) {
    const left = deadline - Date.now()
    if (left <= 0) throw new FetchRefused('took too long')
    const response = await outboundRequest(url, {
      method: 'GET',
      headers: { accept: opts.accept, 'user-agent': 'relay-im-link-preview/1 (+https://github.com/relay-im)', 'accept-encoding': 'identity' },
      timeoutMs: Math.min(ctx.timeoutMs, left),
      maxResponseBytes: opts.maxBytes
    }, ctx)
    if (response.status >= 300 && response.status < 400 && response.headers.location !== undefined) {
      if (hop >= MAX_REDIRECTS) throw new FetchRefused('too many redirects')
      try {
        url = new URL(response.headers.location, url)
      } catch {
        throw new FetchRefused('redirect to something that is not a URL')
      }
      continue
    }
    if (response.status < 200 || response.status >= 300) throw new FetchRefused(`answered ${response.status}`)
    return { url, response, mime: mimeOf(response.headers['content-type']) }
  }
}

/** Whether an error is a refusal by the outbound checks (never worth trying again soon). */
export const refusedByPolicy = (err: unknown): boolean =>
  err instanceof OutboundUrlError || (err as { code?: string }).code === 'EOUTBOUNDREFUSED'
