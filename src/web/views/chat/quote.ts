import type { Message } from '@relay-im/client'
import { messagePreview } from '@relay-im/client/protocol'

/**
 * The text a reply's quote of `quoted` shows once it changed here (edited, recalled): the
 * server's own rule for `replyTo.preview` (the SDK's messagePreview, which its kind registry
 * uses), empty once recalled. No DOM here: test/modules/message-kinds/preview-shared.test.ts
 * holds it against the server's previews.
 */
export function quoteText (quoted: Pick<Message, 'type' | 'content' | 'recalled'>): string {
  if (quoted.recalled === true || quoted.content === null) return ''
  return messagePreview(quoted.type, quoted.content)
}
