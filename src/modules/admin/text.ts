import { validation } from '../../lib/errors.js'

/** Free text bound for a text column: PostgreSQL cannot store NUL, so refuse it up front (not a 500). */
export function cleanText (value: string, field: string): string {
  if (value.includes('\u0000')) throw validation(`${field}: must not contain NUL characters`)
  return value.trim()
}
