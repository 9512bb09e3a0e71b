import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { Value } from 'typebox/value'
import { normaliseLabel, problemOf, type TextKind } from './text-policy.js'
import './text-schemas.js'

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

export interface SchemaError { keyword: string, instancePath: string, message: string }
export type Validation = { value: unknown } | { error: SchemaError[] }
export type RequestValidator = (input: unknown) => Validation

type Schema = Record<string, unknown>
type Outcome = { value: unknown } | { error: SchemaError }
type Walker = (value: unknown, path: string) => Outcome

/** Formats that say what a string is; a request string without one of these (or a fixed value) is unclassified. */
export const STRING_KINDS = new Set(['text', 'label', 'uuid', 'date-time', 'uri'])

export function compileRequestSchema (schema: TSchema, opts: { convert?: boolean } = {}): RequestValidator {
  const validator = Compile(schema)
  const walk = build(schema as Schema)
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

const ok = (value: unknown): Outcome => ({ value })
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function build (s: Schema | undefined): Walker | undefined {
  if (s === undefined || typeof s !== 'object' || s === null) return undefined
  if (s.type === 'string') return text(s.format === 'label' ? 'label' : 'text', s)
  const branches = (s.anyOf ?? s.oneOf) as Schema[] | undefined
  if (Array.isArray(branches)) return union(branches)
  if (Array.isArray(s.allOf)) return chain((s.allOf as Schema[]).map(build))
  if (s.type === 'array') return array(s)
  if (s.type === 'object' || s.properties !== undefined || s.patternProperties !== undefined) return object(s)
  return undefined
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

function chain (parts: Array<Walker | undefined>): Walker | undefined {
  const fns = parts.filter((f): f is Walker => f !== undefined)
  if (fns.length === 0) return undefined
  return (v, path) => {
    let out: Outcome = ok(v)
    for (const f of fns) {
      out = f((out as { value: unknown }).value, path)
      if ('error' in out) return out
    }
    return out
  }
}

/** A union's walker: the first branch whose type fits the value (our unions never have two of one type). */
function union (branches: Schema[]): Walker | undefined {
  const built = branches.map((b) => ({ fits: fitsType(b), walk: build(b) }))
  if (built.every((b) => b.walk === undefined)) return undefined
  return (v, path) => {
    const branch = built.find((b) => b.fits(v))
    return branch?.walk === undefined ? ok(v) : branch.walk(v, path)
  }
}

function fitsType (s: Schema): (v: unknown) => boolean {
  if (s.type === 'string') return (v) => typeof v === 'string'
  if (s.type === 'array') return Array.isArray
  if (s.type === 'object' || s.properties !== undefined || s.patternProperties !== undefined) return isObject
  if (Array.isArray(s.anyOf ?? s.oneOf)) {
    const fits = ((s.anyOf ?? s.oneOf) as Schema[]).map(fitsType)
    return (v) => fits.some((f) => f(v))
  }
  return () => false
}

function array (s: Schema): Walker | undefined {
  const item = isObject(s.items) ? build(s.items) : undefined
  if (item === undefined) return undefined
  return (v, path) => {
    if (!Array.isArray(v)) return ok(v)
    for (let i = 0; i < v.length; i++) {
      const out = item(v[i], `${path}/${i}`)
      if ('error' in out) return out
      if (out.value !== v[i]) v[i] = out.value
    }
    return ok(v)
  }
}

function object (s: Schema): Walker | undefined {
  const props = Object.entries((s.properties ?? {}) as Record<string, Schema>)
    .map(([key, sub]) => ({ key, walk: build(sub) }))
    .filter((p): p is { key: string, walk: Walker } => p.walk !== undefined)
  const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>)
    .map(([pattern, sub]) => ({ re: new RegExp(pattern, 'u'), walk: build(sub) }))
    .filter((p): p is { re: RegExp, walk: Walker } => p.walk !== undefined)
  const extra = isObject(s.additionalProperties) ? build(s.additionalProperties) : undefined
  if (props.length === 0 && patterns.length === 0 && extra === undefined) return undefined
  const named = new Set(Object.keys((s.properties ?? {}) as object))
  const escape = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1')
  return (v, path) => {
    if (!isObject(v)) return ok(v)
    for (const p of props) {
      if (!Object.hasOwn(v, p.key)) continue
      const out = p.walk(v[p.key], `${path}/${escape(p.key)}`)
      if ('error' in out) return out
      if (out.value !== v[p.key]) v[p.key] = out.value
    }
    if (patterns.length === 0 && extra === undefined) return ok(v)
    for (const key of Object.keys(v)) {
      if (named.has(key)) continue
      const walk = patterns.find((p) => p.re.test(key))?.walk ?? extra
      if (walk === undefined) continue
      const out = walk(v[key], `${path}/${escape(key)}`)
      if ('error' in out) return out
      // only a changed label is written back (never an assignment to a key such as `__proto__`)
      if (out.value !== v[key]) Object.defineProperty(v, key, { value: out.value, writable: true, enumerable: true, configurable: true })
    }
    return ok(v)
  }
}
