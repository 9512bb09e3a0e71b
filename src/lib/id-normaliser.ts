import { Compile } from 'typebox/compile'
import type { TSchema } from 'typebox'

/**
 * Lower-cases every UUID a schema admits, so an id is compared, locked on, stored and used as a
 * room name in one form whatever casing the client sent. Built once per schema; a schema without
 * uuids yields `undefined` (no work on the hot path). Objects and arrays are changed in place;
 * the return value is the normalised input (needed when the input itself is a uuid string).
 */
export type IdNormaliser = (value: unknown) => unknown

type Schema = Record<string, unknown>

const SAMPLE_UUID = '0A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D3'
const lower: IdNormaliser = (v) => typeof v === 'string' ? v.toLowerCase() : v

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A patternProperties key that admits uuids and nothing else of note (e.g. the sync cursors' key). */
function isUuidPattern (pattern: string): boolean {
  try {
    const re = new RegExp(pattern)
    return re.test(SAMPLE_UUID) && re.test(SAMPLE_UUID.toLowerCase()) && !re.test('not-a-uuid')
  } catch {
    return false
  }
}

export function compileIdNormaliser (schema: TSchema | Schema | undefined): IdNormaliser | undefined {
  return build(schema as Schema | undefined)
}

function build (s: Schema | undefined): IdNormaliser | undefined {
  if (s === undefined || typeof s !== 'object') return undefined
  if (s.type === 'string') return s.format === 'uuid' ? lower : undefined
  const branches = (s.anyOf ?? s.oneOf) as Schema[] | undefined
  if (Array.isArray(branches)) return union(branches)
  if (Array.isArray(s.allOf)) return chain((s.allOf as Schema[]).map(build))
  if (s.type === 'array') return array(s)
  if (s.type === 'object' || s.properties !== undefined || s.patternProperties !== undefined) return object(s)
  return undefined
}

function chain (parts: Array<IdNormaliser | undefined>): IdNormaliser | undefined {
  const fns = parts.filter((f): f is IdNormaliser => f !== undefined)
  if (fns.length === 0) return undefined
  if (fns.length === 1) return fns[0]
  return (v) => fns.reduce((acc, f) => f(acc), v)
}

/** Of a union, the first branch the value matches decides (so a sibling's uuid fields are not guessed). */
function union (branches: Schema[]): IdNormaliser | undefined {
  const built = branches.map((b) => ({ fn: build(b), schema: b }))
  if (built.every((b) => b.fn === undefined)) return undefined
  const checks = built.map((b) => ({ fn: b.fn, check: Compile(b.schema as TSchema) }))
  return (v) => {
    for (const b of checks) if (b.check.Check(v)) return b.fn === undefined ? v : b.fn(v)
    return v
  }
}

function array (s: Schema): IdNormaliser | undefined {
  const item = Array.isArray(s.items) ? undefined : build(s.items as Schema | undefined)
  const tuple = Array.isArray(s.prefixItems ?? s.items) ? (s.prefixItems ?? s.items) as Schema[] : undefined
  const at = tuple?.map(build)
  if (item === undefined && (at === undefined || at.every((f) => f === undefined))) return undefined
  return (v) => {
    if (!Array.isArray(v)) return v
    for (let i = 0; i < v.length; i++) {
      const f = at?.[i] ?? item
      if (f !== undefined) v[i] = f(v[i])
    }
    return v
  }
}

function object (s: Schema): IdNormaliser | undefined {
  const props = Object.entries((s.properties ?? {}) as Record<string, Schema>)
    .map(([key, sub]) => ({ key, fn: build(sub) }))
    .filter((p): p is { key: string, fn: IdNormaliser } => p.fn !== undefined)
  const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>)
    .map(([pattern, sub]) => ({ re: new RegExp(pattern), uuidKey: isUuidPattern(pattern), fn: build(sub) }))
    .filter((p) => p.uuidKey || p.fn !== undefined)
  const extra = isObject(s.additionalProperties) ? build(s.additionalProperties) : undefined
  if (props.length === 0 && patterns.length === 0 && extra === undefined) return undefined
  const named = new Set(Object.keys((s.properties ?? {}) as object))
  return (v) => {
    if (!isObject(v)) return v
    for (const p of props) if (p.key in v) v[p.key] = p.fn(v[p.key])
    if (patterns.length === 0 && extra === undefined) return v
    for (const key of Object.keys(v)) {
      if (named.has(key)) continue
      const match = patterns.find((p) => p.re.test(key))
      const fn = match !== undefined ? match.fn : extra
      let k = key
      if (match?.uuidKey === true && key !== key.toLowerCase()) {
        k = key.toLowerCase()
        v[k] = v[key]
        delete v[key]
      }
      if (fn !== undefined) v[k] = fn(v[k])
    }
    return v
  }
}
