import { createHash, createHmac } from 'node:crypto'

/**
 * Deterministic ids: the same md5-derived UUID that SQL computes with `md5(text)::uuid`, so
 * generate_series can seed rows whose ids the generator knows without reading them back.
 */
export function md5Uuid (s: string): string {
  const h = createHash('md5').update(s).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export const userId = (i: number): string => md5Uuid(`u${i}`)
/** The direct conversation of the pair (2k, 2k+1). */
export const directId = (k: number): string => md5Uuid(`c${k}`)
export const groupId = (g: number): string => md5Uuid(`g${g}`)

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url')

/** An access token as the server signs them: HS256, {sub, typ: 'access', iat, exp}. */
export function signAccessToken (secret: string, sub: string, ttlS: number): string {
  const iat = Math.floor(Date.now() / 1000)
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const body = b64url(JSON.stringify({ sub, typ: 'access', iat, exp: iat + ttlS }))
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')
  return `${head}.${body}.${sig}`
}
