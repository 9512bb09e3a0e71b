import { createHmac } from 'node:crypto'

/** The secret test/helper.ts builds apps with. */
export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long'

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/** Hand-made JWTs, independent of the library under test. */
export function craftJwt (header: Record<string, unknown>, payload: Record<string, unknown>, secret = TEST_SECRET): string {
  const head = `${b64(header)}.${b64(payload)}`
  const alg = header.alg
  if (alg === 'none') return `${head}.`
  const hash = alg === 'HS512' ? 'sha512' : alg === 'HS384' ? 'sha384' : 'sha256'
  return `${head}.${createHmac(hash, secret).update(head).digest('base64url')}`
}

const now = (): number => Math.floor(Date.now() / 1000)

/** Tokens for `userId` that must all be refused, each with the reason. */
export function badTokens (userId: string): Array<[string, string]> {
  const claims = { sub: userId, typ: 'access', iat: now(), exp: now() + 600 }
  return [
    ['expired', craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now() - 1000, exp: now() - 10 })],
    ['HS512 with the same secret', craftJwt({ alg: 'HS512', typ: 'JWT' }, claims)],
    ['alg none', craftJwt({ alg: 'none', typ: 'JWT' }, claims)],
    ['wrong secret', craftJwt({ alg: 'HS256', typ: 'JWT' }, claims, 'another-secret-that-is-also-32-characters-long')],
    ['not an access token', craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, typ: 'refresh' })],
    ['no subject', craftJwt({ alg: 'HS256', typ: 'JWT' }, { typ: 'access', iat: now(), exp: now() + 600 })],
    ['garbage', 'not.a.jwt'],
    ['tampered payload', (() => {
      const [h, , s] = craftJwt({ alg: 'HS256', typ: 'JWT' }, claims).split('.')
      return `${h!}.${b64({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${s!}`
    })()]
  ]
}

/** Authorization headers that carry no usable bearer token. */
export const badHeaders: Array<[string, Record<string, string>]> = [
  ['no header', {}],
  ['empty', { authorization: '' }],
  ['scheme only', { authorization: 'Bearer' }],
  ['Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }]
]
