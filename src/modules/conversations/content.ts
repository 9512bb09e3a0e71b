import { Compile } from 'typebox/compile'
import { validation } from '../../lib/errors.js'
import { AttachmentContent, type MessageType } from './schemas.js'

export interface ContentLimits { textMaxChars: number, customMaxBytes: number }

const attachment = Compile(AttachmentContent)

/** Length in code points, so an emoji counts as one character. */
function charCount (s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

/** Checks `content` against its message type; throws VALIDATION with the reason. */
export function checkContent (type: MessageType, content: unknown, limits: ContentLimits): void {
  checkShape(type, content, limits)
  // PostgreSQL's jsonb cannot store the NUL character
  if (hasNul(content)) throw validation('content: must not contain NUL characters')
}

function hasNul (value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0')
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) return value.some(hasNul)
  return Object.entries(value).some(([k, v]) => k.includes('\0') || hasNul(v))
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
