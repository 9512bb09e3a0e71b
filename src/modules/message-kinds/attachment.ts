import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { validation } from '../../lib/errors.js'
import { Label } from '../../lib/text-schemas.js'
import { MESSAGE_PREVIEWS } from '@relay-im/client/protocol'
import type { MessageKind } from './kind.js'

/** image/file content. */
export const AttachmentContent = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048, pattern: '^(https?://|/)' }),
  /** shown as the file's name: a label, like the name the upload route stores */
  name: Label({ minLength: 1, maxLength: 255 }),
  size: Type.Integer({ minimum: 0 }),
  mime: Type.String({ minLength: 1, maxLength: 255 }),
  width: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  height: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 }))
}, { additionalProperties: false })

const attachment = Compile(AttachmentContent)

/** The shared parts of the kinds that carry an uploaded file (image, file). */
/** Not searched yet: a file's name would be (see README, "Message kinds"). */
export function attachmentKind<K extends 'image' | 'file'> (type: K): MessageKind<K, typeof AttachmentContent> {
  return {
    type,
    sendable: true,
    editable: false,
    content: AttachmentContent,
    check (content) {
      if (!attachment.Check(content)) {
        const first = attachment.Errors(content)[0]
        const where = first?.instancePath !== undefined && first.instancePath !== '' ? first.instancePath : ''
        throw validation(`content${where}: ${first?.message ?? `invalid ${type}`}; expected {url, name, size, mime, width?, height?}`)
      }
    },
    quoteSql: (c) => `jsonb_build_object('name', ${c}->'name')`,
    preview: MESSAGE_PREVIEWS[type]
  }
}
