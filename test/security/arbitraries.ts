import fc from 'fast-check'
import { KNOWN_BUGS } from './known-bugs.js'

/** Field names the API knows, so random objects also hit real fields with wrong values. */
export const FIELD_NAMES = [
  'username', 'password', 'displayName', 'avatarUrl', 'refreshToken', 'currentPassword', 'newPassword',
  'toUserId', 'message', 'userId', 'name', 'memberIds', 'userIds', 'clientMsgId', 'type', 'content', 'seq',
  'senderId', 'conversationId', 'messageId', 'typing', 'payload', 'cursors', 'limit', 'token', 'id'
]
export const QUERY_NAMES = ['q', 'limit', 'cursor', 'before', 'after', 'direction', 'token', 'user', 'expires', 'sig']
const POISON_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__']

export const loneSurrogate = fc.constantFrom('\ud800', '\udfff', 'a\udc00b', '\ud83d')

/** A valid uuid with its letters in random case: the server must treat it as the lower-case one. */
export const anyCaseUuid: fc.Arbitrary<string> = fc.tuple(fc.uuid(), fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }))
  .map(([u, up]) => [...u].map((c, i) => up[i] === true ? c.toUpperCase() : c).join(''))

/** Strings that make trouble: empty, control and NUL characters, unicode, huge, lone surrogates, SQL/LIKE/path syntax. */
export const nastyString = (opts: { surrogates?: boolean } = {}): fc.Arbitrary<string> => fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '%', '_', '\\', "' OR 1=1 --", '../../etc/passwd', 'null', 'undefined', 'NaN',
    '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '😀', '\u202e', '<script>', '${x}', '{{x}}'),
  fc.integer({ min: 100, max: 20_000 }).map((n) => 'x'.repeat(n)),
  anyCaseUuid,
  ...(opts.surrogates === false ? [] : [loneSurrogate])
)

/** JSON-ish values: wrong types, huge numbers, deep nesting, poison keys. */
export const nastyValue = (opts: { surrogates?: boolean, maxDepth?: number } = {}): fc.Arbitrary<unknown> => {
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small', withCrossShrink: true },
      nastyString(opts),
      fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 1e308, -0),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...POISON_KEYS, ...FIELD_NAMES)), tie('tree'), { maxKeys: 4 })
    )
  }))
  // JSON.stringify itself overflows a little beyond this; deeper text comes from deepJsonText
  const maxDepth = Math.min(opts.maxDepth ?? 2000, 2000)
  return fc.oneof(
    { weight: 6, arbitrary: tree },
    { weight: 1, arbitrary: fc.integer({ min: 2, max: maxDepth }).map((n) => nest(n)) }
  )
}

/** JSON text nested n levels deep (arrays and objects), made as text: no stringify limit. */
export const deepJsonText = (min = 1000, max = 100_000): fc.Arbitrary<string> => fc.tuple(fc.integer({ min, max }), fc.boolean())
  .map(([n, arrays]) => arrays ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n))

/** `[[[...]]]` n levels deep, built without recursion. */
export function nest (n: number): unknown {
  let v: unknown = []
  for (let i = 1; i < n; i++) v = i % 2 === 0 ? [v] : { a: v }
  return v
}

/**
 * An object that is certainly invalid for any body or event schema of the API (they all
 * reject unknown properties): known fields with random values plus at least one key no
 * schema has. Serialised by hand so `__proto__` is a real key in the JSON text.
 */
export const invalidObjectJson = (opts: { surrogates?: boolean } = {}): fc.Arbitrary<string> => fc.record({
  known: fc.dictionary(fc.constantFrom(...FIELD_NAMES), nastyValue({ ...opts, maxDepth: 2000 }), { maxKeys: 5 }),
  poison: fc.oneof(
    fc.constantFrom(...POISON_KEYS).map((k) => [k, { isAdmin: true, prototype: { polluted: true } }] as const),
    fc.string({ minLength: 1, maxLength: 12 }).map((k) => [`zz_unknown_${k}`, 1] as const)
  )
}).map(({ known, poison }) => {
  const entries = [...Object.entries(known).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`),
    `${JSON.stringify(poison[0])}:${JSON.stringify(poison[1])}`]
  return `{${entries.join(',')}}`
})

/** A path parameter that is never a valid UUID. */
export const badParam: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }).filter((s) => !/^[0-9a-f-]{36}$/i.test(s)).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent),
  fc.constantFrom('__proto__', 'constructor', 'prototype', '..%2F..%2Fetc%2Fpasswd', '%00', 'null', '-1', '1e9',
    '00000000-0000-0000-0000-00000000000g', '{}', '%5B%5D', 'me', encodeURIComponent("' OR '1'='1")),
  ...(KNOWN_BUGS.frameworkErrors
    ? []
    : [fc.constantFrom('%c3%28', '%ff', '%', '%e0%80%80'), fc.integer({ min: 101, max: 5000 }).map((n) => 'a'.repeat(n))])
).filter((s) => s !== '' && s !== '.' && s !== '..' && (!KNOWN_BUGS.frameworkErrors || s.length <= 100))
// ('.' and '..' are dot segments: the URL resolves them before routing, so they are not parameters.)
// (Unroutable parameters, over 100 characters or badly percent-encoded, never reach a route's
// authentication, so the per-route properties cannot hold for them; framework-errors.test.ts
// checks what they get.)

export const reservedSocketEvents = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'])
