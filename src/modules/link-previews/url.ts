import { isIP } from 'node:net'
import { hostPort, isPublicAddress, OutboundUrlError, parseOutboundUrl, type AllowedHosts } from '../../lib/outbound-url.js'

/** Longest URL a preview is fetched for. */
export const PREVIEW_URL_MAX = 2048

/*
 * Where a URL in message text starts and what ends it. Searching plain message text for a
 * scheme is a tokeniser, not HTML parsing: the URL runs to the first white space, control,
 * bidi control or invisible character (text policy: they cannot hide inside the URL), or a
 * bracket or quote that commonly wraps links.
 */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s\p{Cc}\p{Bidi_Control}\p{Default_Ignorable_Code_Point}<>"'`()[\]{}]+/iu
/** Punctuation that ends a sentence rather than the URL ("see https://a.example/x."). */
const TRAILING = /[.,;:!?]+$/u

/**
 * The URL a text message's preview is for: its first http(s) URL, normalised by the URL
 * parser (IDN hosts become punycode, so the fetched host is the one a reader can see spelled
 * out), or null when there is none or it may never be fetched (credentials in it, plain http
 * to a host not in OUTBOUND_ALLOWED_HOSTS, a non-public literal address, too long). Only the first URL counts: a later one
 * is not tried when the first is unfit. Whether its host resolves somewhere public is checked
 * when it is fetched, not here (no DNS on the send path).
 */
export function previewUrlOf (text: string, allowedHosts: AllowedHosts): string | null {
  const match = URL_IN_TEXT.exec(text)
  if (match === null) return null
  const raw = match[0].replace(TRAILING, '')
  try {
    const url = parseOutboundUrl(raw, { allowedHosts, maxLength: PREVIEW_URL_MAX })
    const literal = url.hostname.replace(/^\[|\]$/g, '')
    if (!allowedHosts.has(hostPort(url)) && isIP(literal) !== 0 && !isPublicAddress(literal)) return null
    url.hash = ''
    const href = url.href
    return href.length > PREVIEW_URL_MAX ? null : href
  } catch (err) {
    if (err instanceof OutboundUrlError) return null
    throw err
  }
}

/** The preview URL of a message's content when it is a text message, else null. */
export function previewUrlOfContent (type: string, content: unknown, allowedHosts: AllowedHosts): string | null {
  return type === 'text' && typeof content === 'string' ? previewUrlOf(content, allowedHosts) : null
}
