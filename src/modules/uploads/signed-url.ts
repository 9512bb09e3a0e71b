import { createHmac, timingSafeEqual } from 'node:crypto'

/** How long a signed file URL works. */
export const SIGNED_URL_TTL_S = 3600

export interface SignedUrl { url: string, expiresAt: string }

/** The query of a signed URL: whose it is, until when (unix seconds), and the signature. */
export interface SignedQuery { user?: string, expires?: string, sig?: string }

/**
 * File URLs for `<img src>` and links, which cannot send an Authorization header: signed for
 * one upload, one reader and a bounded time, with HMAC-SHA256 under a key derived from the
 * server's secret (its own key: a signature can never pass for a token, or the reverse). The
 * signature proves only who asked and until when; whether that reader may still see the file
 * is checked on every download (uploads/service.ts, `find`), so leaving the conversation ends
 * it at once. An access token never goes into a URL.
 */
export function createUrlSigner (secret: string, ttlS = SIGNED_URL_TTL_S) {
  const key = createHmac('sha256', secret).update('relay-im signed upload urls v1').digest()
  const mac = (id: string, userId: string, expires: number): Buffer => createHmac('sha256', key).update(`${id}\n${userId}\n${expires}`).digest()

  return {
    ttlS,
    /** A URL for `userId` to download upload `id` until now + ttl (relative: `/api/uploads/<id>?…`). */
    sign (id: string, userId: string, nowMs = Date.now()): SignedUrl {
      const expires = Math.floor(nowMs / 1000) + ttlS
      const [upload, reader] = [id.toLowerCase(), userId.toLowerCase()]
      const sig = mac(upload, reader, expires).toString('base64url')
      return { url: `/api/uploads/${upload}?user=${reader}&expires=${expires}&sig=${sig}`, expiresAt: new Date(expires * 1000).toISOString() }
    },

    /**
     * The reader a signed query is for, or why it fails: `invalid` (any part missing,
     * malformed or not matching, e.g. another upload's or user's or a changed expiry) or
     * `expired`.
     */
    verify (id: string, q: SignedQuery, nowMs = Date.now()): { userId: string } | { error: 'invalid' | 'expired' } {
      const { user, expires, sig } = q
      if (user === undefined || expires === undefined || sig === undefined || !/^[0-9]{1,12}$/.test(expires)) return { error: 'invalid' }
      const given = Buffer.from(sig, 'base64url')
      const want = mac(id.toLowerCase(), user.toLowerCase(), Number(expires))
      if (given.length !== want.length || given.toString('base64url') !== sig || !timingSafeEqual(given, want)) return { error: 'invalid' }
      if (Number(expires) * 1000 <= nowMs) return { error: 'expired' }
      return { userId: user.toLowerCase() }
    }
  }
}

export type UrlSigner = ReturnType<typeof createUrlSigner>
