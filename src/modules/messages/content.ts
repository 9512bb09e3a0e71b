import { Compile } from 'typebox/compile'
import { validation } from '../../lib/errors.js'
import { charCount, textProblem } from '../../lib/text-policy.js'
import { type MessageType } from '../conversations/index.js'
import { AttachmentContent } from './schemas.js'

export interface ContentLimits { textMaxChars: number, customMaxBytes: number }

const attachment = Compile(AttachmentContent)

/** Deepest nesting of arrays/objects accepted in content (deeper input would exhaust the stack in JSON handling). */
export const CONTENT_MAX_DEPTH = 64

/** Checks `content` against its message type; throws VALIDATION with the reason. */
export function checkContent (type: MessageType, content: unknown, limits: ContentLimits): void {
  // First, iteratively: the shape checks below recurse (JSON.stringify), so depth is bounded before them.
  checkValues(content)
  checkShape(type, content, limits)
}

/** Content is prose: the text rule of every request string (src/lib/text-policy.ts), not the label rule. */
function checkString (s: string): void {
  const problem = textProblem(s)
  if (problem !== undefined) throw validation(`content: ${problem}`)
}

/** Every string and key of `content` (without recursion): depth, NUL, lone surrogates. */
function checkValues (content: unknown): void {
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

function checkShape (type: MessageType, content: unknown, limits: ContentLimits): void {
  switch (type) {
    case 'text':
      if (typeof content !== 'string' || content.length === 0) throw validation('content: text must be a non-empty string')
      // code points <= UTF-16 units, so only long strings need counting
      if (content.length > limits.textMaxChars && charCount(content) > limits.textMaxChars) {
        throw validation(`content: text longer than ${limits.textMaxChars} characters`)
      }
      return
    case 'image':
    case 'file':
      if (!attachment.Check(content)) {
        const first = attachment.Errors(content)[0]
        const where = first?.instancePath !== undefined && first.instancePath !== '' ? first.instancePath : ''
        throw validation(`content${where}: ${first?.message ?? `invalid ${type}`}; expected {url, name, size, mime, width?, height?}`)
      }
      return
    case 'custom': {
      if (typeof content !== 'object' || content === null || Array.isArray(content)) throw validation('content: custom content must be a JSON object')
      const bytes = Buffer.byteLength(JSON.stringify(content))
      if (bytes > limits.customMaxBytes) throw validation(`content: custom content larger than ${limits.customMaxBytes} bytes`)
    }
  }
}
