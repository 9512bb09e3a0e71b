import { Type } from 'typebox'
import { validation } from '../../lib/errors.js'
import { MESSAGE_PREVIEWS } from '@relay-im/client/protocol'
import type { MessageKind } from './kind.js'

/** Any JSON object, for the application's own message kinds. */
export const CustomContent = Type.Record(Type.String(), Type.Unknown())

export const custom = {
  type: 'custom',
  sendable: true,
  editable: true,
  content: CustomContent,
  check (content, limits) {
    if (typeof content !== 'object' || content === null || Array.isArray(content)) throw validation('content: custom content must be a JSON object')
    const bytes = Buffer.byteLength(JSON.stringify(content))
    if (bytes > limits.customMaxBytes) throw validation(`content: custom content larger than ${limits.customMaxBytes} bytes`)
  },
  preview: MESSAGE_PREVIEWS.custom
} satisfies MessageKind<'custom', typeof CustomContent>
