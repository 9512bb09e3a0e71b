import { Type } from 'typebox'
import { Text } from '../../lib/text-schemas.js'

export const UploadSchema = Type.Object({
  /** `/api/uploads/<id>`: put it in an image/file message's content as is. */
  url: Type.String(),
  name: Type.String(),
  size: Type.Integer(),
  mime: Type.String()
})

export const UploadIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

/** `token` lets an `<img src>` (which cannot send headers) carry the access token. */
export const DownloadQuery = Type.Object({
  token: Type.Optional(Text({ minLength: 1, maxLength: 4096 }))
}, { additionalProperties: false })
