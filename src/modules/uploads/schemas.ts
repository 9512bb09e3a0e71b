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

/**
 * A download with a signed URL (GET /uploads/:id/link mints one): the reader, the expiry
 * (unix seconds) and the signature. `token` is only here to be refused with a clear error:
 * access tokens are not accepted in URLs.
 */
export const DownloadQuery = Type.Object({
  user: Type.Optional(Type.String({ format: 'uuid' })),
  expires: Type.Optional(Text({ pattern: '^[0-9]{1,12}$' })),
  sig: Type.Optional(Text({ minLength: 1, maxLength: 128 })),
  token: Type.Optional(Text({ maxLength: 4096 }))
}, { additionalProperties: false })

export const SignedUrlSchema = Type.Object({
  /** `/api/uploads/<id>?user=…&expires=…&sig=…`: for `<img src>` and links; works for the caller only, until `expiresAt`. */
  url: Type.String(),
  expiresAt: Type.String({ format: 'date-time' })
})
