import { createHash, randomBytes } from 'node:crypto'

/** Recognisable in logs and by secret scanners; the rest is 256 random bits (base64url). */
export const BOT_TOKEN_PREFIX = 'rbot_'
export const BOT_TOKEN_RE = /^rbot_[A-Za-z0-9_-]{43}$/

/** A new bot token, shown once to its owner. */
export function newBotToken (): string {
  return BOT_TOKEN_PREFIX + randomBytes(32).toString('base64url')
}

/** What is stored: SHA-256 (hex). A 256-bit random token cannot be guessed, so no slow hash is needed. */
export function botTokenHash (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
