import { validation } from '../../lib/errors.js'
import { textProblem } from '../../lib/text-policy.js'

/** Deepest nesting of arrays/objects accepted in content (deeper input would exhaust the stack in JSON handling). */
export const CONTENT_MAX_DEPTH = 64

/** Content is prose: the text rule of every request string (src/lib/text-policy.ts), not the label rule. */
function checkString (s: string): void {
  const problem = textProblem(s)
  if (problem !== undefined) throw validation(`content: ${problem}`)
}

/**
 * Every string and key of `content` (without recursion): depth, NUL, lone surrogates. Runs
 * before any kind's check, whose shape checks may recurse (JSON.stringify).
 */
export function checkValues (content: unknown): void {
  const stack: Array<{ value: unknown, depth: number }> = [{ value: content, depth: 0 }]
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item
    if (typeof value === 'string') { checkString(value); continue }
    if (typeof value !== 'object' || value === null) continue
    if (depth >= CONTENT_MAX_DEPTH) throw validation(`content: nested deeper than ${CONTENT_MAX_DEPTH} levels`)
    if (Array.isArray(value)) {
      for (const v of value) stack.push({ value: v, depth: depth + 1 })
      continue
    }
    for (const [k, v] of Object.entries(value)) {
      checkString(k)
      stack.push({ value: v, depth: depth + 1 })
    }
  }
}
