import { randomInt } from 'node:crypto'
import { labelProblem, normaliseLabel } from '../../lib/text-policy.js'
import { USERNAME_RE } from '../users/index.js'

/**
 * A username for an account created by a first OpenID Connect sign-in, from the provider's
 * `preferred_username`, `nickname` or `name` (never the e-mail, which is not an identity):
 * folded to the handle alphabet ([a-z0-9_.-], accents dropped, everything else removed), at
 * most 24 characters so a suffix fits, `user` when nothing usable is left. `attempt` > 0 adds a
 * random suffix: the caller retries on a taken name.
 */
export function oidcUsername (claims: Record<string, unknown>, attempt: number): string {
  const source = [claims.preferred_username, claims.nickname, claims.name].find((v): v is string => typeof v === 'string' && v.length <= 256) ?? ''
  let base = source.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9_.-]+/g, '').replace(/^[._-]+|[._-]+$/g, '').slice(0, 24)
  if (base.length < 3) base = 'user'
  const name = attempt === 0 ? base : attempt < 4 ? `${base}-${randomInt(1000, 10000)}` : `${base}-${randomInt(1e9, 1e10).toString(36)}`
  return USERNAME_RE.test(name) ? name : `user-${randomInt(1e9, 1e10).toString(36)}`
}

/** The display name: the `name` claim when it passes the label rule (one line, no bidi or invisible tricks), else the username. */
export function oidcDisplayName (claims: Record<string, unknown>, username: string): string {
  const name = claims.name
  if (typeof name !== 'string') return username
  const label = normaliseLabel(name)
  return label.length >= 1 && [...label].length <= 64 && labelProblem(label) === undefined ? label : username
}
