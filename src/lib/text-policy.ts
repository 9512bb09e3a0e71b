import { validation } from './errors.js'

/**
 * The one policy for text a client sends. Every string a request schema declares is `text`
 * at least; single-line labels (names, topics) are `label`. Schemas say which with
 * `format: 'text'` or `format: 'label'` (src/lib/text-schemas.ts), and the compiler that checks
 * every route and socket event (src/lib/schema-compiler.ts) applies it:
 *
 * - text: no NUL (PostgreSQL cannot store U+0000 in text or jsonb) and well-formed UTF-16 (a
 *   lone surrogate cannot be stored as UTF-8 either). Line breaks, tabs, bidi characters are
 *   fine: message bodies and reasons are prose, in any script.
 * - label: text, and one line that shows what it is: no control characters (C0, DEL, C1: tabs
 *   and line breaks included), no U+2028/U+2029, no bidi controls (`\p{Bidi_Control}`: the
 *   embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069, and the marks U+200E,
 *   U+200F, U+061C, which reorder the text around them just as invisibly), and not blank once
 *   invisible characters (white space, zero-width spaces and joiners, U+FEFF, other default
 *   ignorables, U+2800) are taken out. Stored NFC-normalised and trimmed, so two names that
 *   look the same are the same string.
 */
export type TextKind = 'text' | 'label'

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const CONTROL = /\p{Cc}/u
const LINE_SEPARATOR = /[\u2028\u2029]/
const BIDI_CONTROL = /\p{Bidi_Control}/u
/** What shows as nothing: spaces, default ignorables (ZWSP, ZWJ, ZWNJ, U+FEFF, U+2060, tags...), the braille blank. */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800]/gu

/** Why `value` is not acceptable text, or undefined. */
export function textProblem (value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters'
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (a lone surrogate was found)'
  return undefined
}

/** Why `value` is not an acceptable label, or undefined. */
export function labelProblem (value: string): string | undefined {
  const problem = textProblem(value)
  if (problem !== undefined) return problem
  if (CONTROL.test(value)) return 'must be one line without control characters'
  if (LINE_SEPARATOR.test(value)) return 'must not contain line or paragraph separators'
  if (BIDI_CONTROL.test(value)) return 'must not contain bidirectional control characters'
  if (value.replace(INVISIBLE, '') === '') return 'must not be blank'
  return undefined
}

export function problemOf (kind: TextKind, value: string): string | undefined {
  return kind === 'label' ? labelProblem(value) : textProblem(value)
}

/** What a label may not hold, for dropping it (see sanitiseLabel). */
const UNFIT_IN_LABEL = /[\p{Cc}\u2028\u2029\p{Bidi_Control}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu

/**
 * For a name the server takes from data it does not refuse over it (an uploaded file's name
 * in a multipart header): what the label rule refuses is dropped, the rest normalised; blank
 * gives `fallback`.
 */
export function sanitiseLabel (value: string, fallback: string): string {
  const label = normaliseLabel(value.replace(UNFIT_IN_LABEL, ''))
  return label.replace(INVISIBLE, '') === '' ? fallback : label
}

/** The stored form of a label: NFC, without surrounding white space. */
export function normaliseLabel (value: string): string {
  return value.normalize('NFC').trim()
}

/** Length in code points (an emoji or a CJK character counts once). */
export function charCount (value: string): number {
  let n = 0
  for (const _ of value) n++
  return n
}

/** For code that takes text outside a route schema: throws VALIDATION naming `field`. */
export function requireText (field: string, value: string): string {
  const problem = textProblem(value)
  if (problem !== undefined) throw validation(`${field}: ${problem}`)
  return value
}

/**
 * For code that takes a label outside a route schema (services called directly): the
 * label's stored form, or VALIDATION naming `field`; `max` in code points.
 */
export function requireLabel (field: string, value: string, max: number): string {
  const problem = labelProblem(value)
  if (problem !== undefined) throw validation(`${field}: ${problem}`)
  const label = normaliseLabel(value)
  if (charCount(label) > max) throw validation(`${field}: at most ${max} characters`)
  return label
}
