import { Type, type Static } from 'typebox'
import { Text } from '../../lib/text-schemas.js'
import { Message, Uuid } from '../conversations/index.js'

export const SEARCH_QUERY_MAX_CHARS = 256

export const SearchQuery = Type.Object({
  q: Text({ minLength: 1, maxLength: SEARCH_QUERY_MAX_CHARS, description: 'English words (websearch syntax: "phrase", or, -not) or any substring of two or more characters (Chinese)' }),
  conversationId: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  cursor: Type.Optional(Text({ minLength: 1, maxLength: 200 }))
})
export type SearchQuery = Static<typeof SearchQuery>

/** Plain text plus where the matches are: no markup, so nothing in a message can inject HTML. */
export const Highlight = Type.Object({
  text: Type.String({ description: 'The message text' }),
  ranges: Type.Array(Type.Object({
    start: Type.Integer({ minimum: 0 }),
    end: Type.Integer({ minimum: 0 })
  }), { description: 'Matched spans of `text`, [start, end) in UTF-16 code units (JavaScript string indexes), sorted, not overlapping' })
})

export const SearchHit = Type.Object({
  message: Message,
  conversationId: Uuid,
  highlight: Highlight
})
export const SearchResults = Type.Array(SearchHit)
