import type { TSchema } from 'typebox'
import { compileWalker, ok, type Schema, type Walker } from './schema-walker.js'

/**
 * Lower-cases every UUID a schema admits, so an id is compared, locked on, stored and used as a
 * room name in one form whatever casing the client sent. Built once per schema; a schema without
 * uuids yields `undefined` (no work on the hot path). Objects and arrays are changed in place;
 * the return value is the normalised input (needed when the input itself is a uuid string).
 */
export type IdNormaliser = (value: unknown) => unknown

const SAMPLE_UUID = '0A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D3'
const lower: Walker = (v) => ok(typeof v === 'string' ? v.toLowerCase() : v)
const lowerKey = (key: string): string => key.toLowerCase()

/** A patternProperties key that admits uuids and nothing else of note (e.g. the sync cursors' key). */
function isUuidPattern (pattern: string): boolean {
  try {
    const re = new RegExp(pattern, 'u')
    return re.test(SAMPLE_UUID) && re.test(SAMPLE_UUID.toLowerCase()) && !re.test('not-a-uuid')
  } catch {
    return false
  }
}

const compiled = new WeakMap<object, IdNormaliser | null>()

/** Compiled once per schema object (the tests build the app hundreds of times in one process). */
export function compileIdNormaliser (schema: TSchema | Schema | undefined): IdNormaliser | undefined {
  if (schema === undefined) return undefined
  let normaliser = compiled.get(schema)
  if (normaliser === undefined) compiled.set(schema, normaliser = compileNormaliser(schema) ?? null)
  return normaliser ?? undefined
}

function compileNormaliser (schema: TSchema | Schema): IdNormaliser | undefined {
  const walk = compileWalker(schema, {
    string: (s) => s.format === 'uuid' ? lower : undefined,
    key: (pattern) => isUuidPattern(pattern) ? lowerKey : undefined,
    // The first branch the value matches decides, so a sibling's uuid fields are not guessed.
    union: 'check'
  })
  if (walk === undefined) return undefined
  return (value) => (walk(value, '') as { value: unknown }).value
}
