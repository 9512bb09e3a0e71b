import { Type, type Static } from 'typebox'
import { Text } from '../../lib/text-schemas.js'

/** The payload is any JSON; the socket's message size limit bounds it. */
export const SignalEvent = Type.Object({
  toUserId: Type.String({ format: 'uuid' }),
  name: Text({ minLength: 1, maxLength: 64 }),
  payload: Type.Unknown()
}, { additionalProperties: false })
export type SignalEvent = Static<typeof SignalEvent>
