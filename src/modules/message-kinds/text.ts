import { Type } from 'typebox'
import { validation } from '../../lib/errors.js'
import { charCount } from '../../lib/text-policy.js'
import { MESSAGE_PREVIEWS } from '@relay-im/client/protocol'
import { PREVIEW_MAX_CHARS, type MessageKind } from './kind.js'

export const TextContent = Type.String({ minLength: 1 })

export const text = {
  type: 'text',
  sendable: true,
  editable: true,
  content: TextContent,
  check (content, limits) {
    if (typeof content !== 'string' || content.length === 0) throw validation('content: text must be a non-empty string')
    // code points <= UTF-16 units, so only long strings need counting
    if (content.length > limits.textMaxChars && charCount(content) > limits.textMaxChars) {
      throw validation(`content: text longer than ${limits.textMaxChars} characters`)
    }
  },
  // one character more than a preview holds, so a cut still shows as cut
  quoteSql: (c) => `to_jsonb(left(${c} #>> '{}', ${PREVIEW_MAX_CHARS + 1}))`,
  preview: MESSAGE_PREVIEWS.text,
  searchText: (content) => typeof content === 'string' ? content : null
} satisfies MessageKind<'text', typeof TextContent>
