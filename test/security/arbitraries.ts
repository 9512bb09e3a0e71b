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

/**
 * Characters that make text lie or break storage (src/lib/text-policy.ts): bidi controls,
 * line and paragraph separators, zero-width and other invisible characters, NUL, C0/C1
 * controls, and emoji sequences real (RGI) and fake (stray joiners, tag runs, unassigned).
 */
export const TRICKY_PIECES = [
  '\u202e', '\u202a', '\u202b', '\u202c', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c',
  '\u2028', '\u2029', '\n', '\r\n', '\t', '\u0085', '\u0000', '\u0007', '\u007f',
  '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u034f', '\u3164', '\u2800', '\ufe0f', '\ufe0e',
  '👍', '👍🏽', '❤️', '\u2764', '👨\u200d👩\u200d👧\u200d👦', '🏳️\u200d🌈', '🇫🇷', '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}', '1️⃣',
  '👍\u200d', '👍\u200d🔥', '🇫🇷\u{E0068}\u{E0069}', '🏴\u{E0068}\u{E0069}\u{E007F}', '\u{1F02C}', '🇫', 'e\u0301', 'Cafe\u0301'
]

/** Text built from tricky pieces, plain words and (optionally) lone surrogates: what every string field must survive. */
export const trickyString = (opts: { surrogates?: boolean } = {}): fc.Arbitrary<string> =>
  fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...TRICKY_PIECES) },
    { weight: 2, arbitrary: fc.string({ maxLength: 6 }) },
    ...(opts.surrogates === false ? [] : [{ weight: 1, arbitrary: loneSurrogate }])
  ), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''))

/** Whether the server must refuse this text wherever a client sends it (NUL, lone surrogate). */
export const neverStorable = (s: string): boolean => s.includes('\u0000') || /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)

/**
 * Values of a valid shape for a JSON schema (a route's from /docs/json, or an event's), with
 * tricky text in every string field that is not a uuid, a date or a fixed value: every string
 * field meets bidi, zero-width, NUL, lone surrogates and emoji sequences.
 */
export function shapedValue (schema: unknown, opts: { surrogates?: boolean } = {}): fc.Arbitrary<unknown> {
  const s = (typeof schema === 'object' && schema !== null ? schema : {}) as Record<string, any>
  const branches = s.anyOf ?? s.oneOf
  if (Array.isArray(branches)) return fc.oneof(...branches.map((b) => shapedValue(b, opts)))
  if (s.const !== undefined) return fc.constant(s.const)
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]))
  const nullable = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => s.nullable === true ? fc.oneof(a, fc.constant(null)) : a
  switch (s.type) {
    case 'string':
      if (s.format === 'uuid') return nullable(fc.uuid())
      if (s.format === 'date-time') return nullable(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()))
      return nullable(fc.oneof({ weight: 3, arbitrary: trickyString(opts) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) }))
    case 'integer':
    case 'number':
      return nullable(fc.integer({ min: typeof s.minimum === 'number' ? s.minimum : 0, max: typeof s.maximum === 'number' ? Math.min(s.maximum, 2 ** 31 - 1) : 1000 }))
    case 'boolean': return nullable(fc.boolean())
    case 'null': return fc.constant(null)
    case 'array': return nullable(fc.array(shapedValue(s.items, opts), { maxLength: 3 }))
    case 'object': {
      const props = Object.fromEntries(Object.entries((s.properties ?? {}) as Record<string, unknown>).map(([k, v]) => [k, shapedValue(v, opts)]))
      return nullable(fc.record(props, { requiredKeys: Array.isArray(s.required) ? s.required as string[] : [] }))
    }
    default:
      return nastyValue({ ...opts, maxDepth: 4 })
  }
}

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
  trickyString({ surrogates: opts.surrogates }),
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
