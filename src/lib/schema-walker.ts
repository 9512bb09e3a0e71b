import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'

/**
 * One walk of a value along the JSON schema that admits it, compiled once per schema, for the
 * request steps that look at strings by what the schema says they are: the text policy
 * (schema-compiler.ts) and lower-cased ids (id-normaliser.ts). Only the parts of a schema that
 * hold a string of interest are walked; a schema without any yields `undefined` (no work per
 * request). Objects and arrays are changed in place, and only where a value changed.
 */

export interface WalkError { keyword: string, instancePath: string, message: string }
export type Outcome = { value: unknown } | { error: WalkError }
export type Walker = (value: unknown, path: string) => Outcome

export interface WalkRules {
  /** The walker for strings of this string schema, or undefined when they need nothing. */
  string: (schema: Schema) => Walker | undefined
  /** A rewrite of the keys a `patternProperties` pattern admits (e.g. lower-cased uuid keys). */
  key?: (pattern: string) => ((key: string) => string) | undefined
  /**
   * How a union picks the branch that walks a value: the first whose JSON type fits it
   * (`type`: cheap, for unions with one branch per type), or the first the value satisfies
   * (`check`: so a sibling branch's fields are never guessed at).
   */
  union: 'type' | 'check'
}

export type Schema = Record<string, unknown>

export const ok = (value: unknown): Outcome => ({ value })
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const escape = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1')

/** Writes a property back without ever calling a setter (a key such as `__proto__` stays data). */
function put (v: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(v, key, { value, writable: true, enumerable: true, configurable: true })
}

export function compileWalker (schema: TSchema | Schema | undefined, rules: WalkRules): Walker | undefined {
  const build = (s: Schema | undefined): Walker | undefined => {
    if (s === undefined || typeof s !== 'object' || s === null) return undefined
    if (s.type === 'string') return rules.string(s)
    const branches = (s.anyOf ?? s.oneOf) as Schema[] | undefined
    if (Array.isArray(branches)) return union(branches)
    if (Array.isArray(s.allOf)) return chain((s.allOf as Schema[]).map(build))
    if (s.type === 'array') return array(s)
    if (s.type === 'object' || s.properties !== undefined || s.patternProperties !== undefined) return object(s)
    return undefined
  }

  const union = (branches: Schema[]): Walker | undefined => {
    const built = branches.map((b) => ({ fits: rules.union === 'type' ? fitsType(b) : checkOf(b), walk: build(b) }))
    if (built.every((b) => b.walk === undefined)) return undefined
    return (v, path) => {
      const branch = built.find((b) => b.fits(v))
      return branch?.walk === undefined ? ok(v) : branch.walk(v, path)
    }
  }

  const array = (s: Schema): Walker | undefined => {
    const tuple = Array.isArray(s.prefixItems ?? s.items) ? (s.prefixItems ?? s.items) as Schema[] : undefined
    const at = tuple?.map(build)
    const item = isObject(s.items) ? build(s.items) : undefined
    if (item === undefined && (at === undefined || at.every((f) => f === undefined))) return undefined
    return (v, path) => {
      if (!Array.isArray(v)) return ok(v)
      for (let i = 0; i < v.length; i++) {
        const walk = at?.[i] ?? item
        if (walk === undefined) continue
        const out = walk(v[i], `${path}/${i}`)
        if ('error' in out) return out
        if (out.value !== v[i]) v[i] = out.value
      }
      return ok(v)
    }
  }

  const object = (s: Schema): Walker | undefined => {
    const props = Object.entries((s.properties ?? {}) as Record<string, Schema>)
      .map(([key, sub]) => ({ key, walk: build(sub) }))
      .filter((p): p is { key: string, walk: Walker } => p.walk !== undefined)
    const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>)
      .map(([pattern, sub]) => ({ re: new RegExp(pattern, 'u'), rekey: rules.key?.(pattern), walk: build(sub) }))
      .filter((p) => p.rekey !== undefined || p.walk !== undefined)
    const extra = isObject(s.additionalProperties) ? build(s.additionalProperties) : undefined
    if (props.length === 0 && patterns.length === 0 && extra === undefined) return undefined
    const named = new Set(Object.keys((s.properties ?? {}) as object))
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
        const match = patterns.find((p) => p.re.test(key))
        let k = key
        const rekeyed = match?.rekey?.(key)
        if (rekeyed !== undefined && rekeyed !== key) {
          put(v, rekeyed, v[key])
          delete v[key]
          k = rekeyed
        }
        const walk = match !== undefined ? match.walk : extra
        if (walk === undefined) continue
        const out = walk(v[k], `${path}/${escape(k)}`)
        if ('error' in out) return out
        if (out.value !== v[k]) put(v, k, out.value)
      }
      return ok(v)
    }
  }

  return build(schema as Schema | undefined)
}

function chain (parts: Array<Walker | undefined>): Walker | undefined {
  const fns = parts.filter((f): f is Walker => f !== undefined)
  if (fns.length === 0) return undefined
  if (fns.length === 1) return fns[0]
  return (v, path) => {
    let out: Outcome = ok(v)
    for (const f of fns) {
      out = f((out as { value: unknown }).value, path)
      if ('error' in out) return out
    }
    return out
  }
}

function checkOf (s: Schema): (v: unknown) => boolean {
  const compiled = Compile(s as TSchema)
  return (v) => compiled.Check(v)
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
