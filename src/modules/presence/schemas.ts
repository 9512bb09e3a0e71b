import { Type, type Static } from 'typebox'

export const TypingEvent = Type.Object({
  conversationId: Type.String({ format: 'uuid' }),
  typing: Type.Boolean()
}, { additionalProperties: false })
export type TypingEvent = Static<typeof TypingEvent>
