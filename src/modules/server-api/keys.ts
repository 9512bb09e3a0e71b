import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** What a key may do; each server-API route needs one. */
export const SCOPES = ['users', 'conversations', 'messages', 'moderation'] as const
export type Scope = typeof SCOPES[number]

/** Recognisable in logs and by secret scanners; the rest is 256 random bits (base64url). */
export const SERVER_KEY_RE = /^rsk_[A-Za-z0-9_-]{43}$/

/** A new server key, shown once to the admin who created it. */
export function newServerKey (): string {
  return 'rsk_' + randomBytes(32).toString('base64url')
}

/** What is stored: SHA-256 (hex). A 256-bit random key cannot be guessed, so no slow hash is needed. */
export function serverKeyHash (key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/**
 * The stored hash against the presented key's, in constant time. The row is found by its
 * hash (a unique index), so this only guards against a lookup that matched by accident
 * (collation, a driver bug): it costs nothing and keeps the comparison out of `===`.
 */
export function hashesMatch (stored: string, presented: string): boolean {
  const a = Buffer.from(stored, 'hex')
  const b = Buffer.from(presented, 'hex')
  return a.length === 32 && b.length === 32 && timingSafeEqual(a, b)
}
