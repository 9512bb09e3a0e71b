import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { Value } from 'typebox/value'
import { normaliseLabel, problemOf, type TextKind } from './text-policy.js'
import './text-schemas.js'
import { compileWalker, ok, type Schema, type WalkError, type Walker } from './schema-walker.js'

/**
 * The one compiler of request schemas: every route's params, query and body (Fastify's
 * validator compiler, src/app.ts) and every socket event's payload (the dispatcher). Beyond
 * the schema itself it applies the text policy (src/lib/text-policy.ts) to every string the
 * schema declares, whatever its format, so a field added later is covered without anyone
 * remembering it: `text` at least (no NUL, no lone surrogate), `label` where the schema says
 * `format: 'label'`; labels reach the handler NFC-normalised and trimmed. Strings inside
 * `Type.Unknown()` (message content, signal payloads) are their owner's to check
 * (src/modules/messages/content.ts applies the same text rule to message content).
 */

export type SchemaError = WalkError
export type Validation = { value: unknown } | { error: SchemaError[] }
export type RequestValidator = (input: unknown) => Validation


/** Formats that say what a string is; a request string without one of these (or a fixed value) is unclassified. */
export const STRING_KINDS = new Set(['text', 'label', 'uuid', 'date-time', 'uri'])

const compiled = { plain: new WeakMap<TSchema, RequestValidator>(), convert: new WeakMap<TSchema, RequestValidator>() }

/**
 * Compiled once per schema object: a process that builds the app more than once (the tests
 * build hundreds) reuses the validators of the route schemas every build shares.
 */
export function compileRequestSchema (schema: TSchema, opts: { convert?: boolean } = {}): RequestValidator {
  const cache = opts.convert === true ? compiled.convert : compiled.plain
  let validator = cache.get(schema)
  if (validator === undefined) cache.set(schema, validator = compileValidator(schema, opts))
  return validator
}

function compileValidator (schema: TSchema, opts: { convert?: boolean }): RequestValidator {
  const validator = Compile(schema)
  // Strings by their format: `label` the label rule, any other the text rule (unions here have one branch per type).
  const walk = compileWalker(schema, { string: (s) => text(s.format === 'label' ? 'label' : 'text', s), union: 'type' })
  return (input) => {
    let value = opts.convert === true ? Value.Convert(schema, input) : input
    // The policy first: its message says what is wrong with the text ("must not contain NUL
    // characters"), where the schema's would only name the format.
    if (walk !== undefined) {
      const out = walk(value, '')
      if ('error' in out) return { error: [out.error] }
      value = out.value
    }
    if (validator.Check(value)) return { value }
    return { error: validator.Errors(value).map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, message: e.message })) }
  }
}

/** Paths of string fields in `schema` that declare no kind (see STRING_KINDS); [] when all do. */
export function unclassifiedStrings (schema: unknown, path = ''): string[] {
  if (typeof schema !== 'object' || schema === null) return []
  const s = schema as Schema
  if (s.type === 'string') {
    const fixed = s.const !== undefined || Array.isArray(s.enum)
    return fixed || (typeof s.format === 'string' && STRING_KINDS.has(s.format)) ? [] : [path === '' ? '(root)' : path]
  }
  const out: string[] = []
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((b) => out.push(...unclassifiedStrings(b, path)))
  }
  if (s.items !== undefined) out.push(...unclassifiedStrings(s.items, `${path}/*`))
  for (const [key, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) out.push(...unclassifiedStrings(sub, `${path}/${key}`))
  for (const sub of Object.values((s.patternProperties ?? {}) as Record<string, unknown>)) out.push(...unclassifiedStrings(sub, `${path}/*`))
  if (typeof s.additionalProperties === 'object') out.push(...unclassifiedStrings(s.additionalProperties, `${path}/*`))
  return out
}

function text (kind: TextKind, s: Schema): Walker {
  const max = typeof s.maxLength === 'number' ? s.maxLength : undefined
  return (v, path) => {
    if (typeof v !== 'string') return ok(v)
    const problem = problemOf(kind, v)
    if (problem !== undefined) return { error: { keyword: 'format', instancePath: path, message: problem } }
    if (kind !== 'label') return ok(v)
    const label = normaliseLabel(v)
    // NFC can lengthen a string (rarely): the stored form must still fit.
    if (max !== undefined && label.length > max && v.length <= max) return { error: { keyword: 'maxLength', instancePath: path, message: `must NOT have more than ${max} characters` } }
    return ok(label)
  }
}
