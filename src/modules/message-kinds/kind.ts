import type { TSchema } from 'typebox'

export interface ContentLimits { textMaxChars: number, customMaxBytes: number }

// The preview rule is the SDK's (packages/client/src/preview.ts): clients compute the same quotes.
export { cutPreview, PREVIEW_MAX_CHARS } from '@relay-im/client/protocol'

/**
 * Everything the server knows about one message kind. `check` runs after the shared walk
 * (content-values.ts), so it sees content no deeper than CONTENT_MAX_DEPTH, without NUL or
 * lone surrogates. `preview` and `searchText` read stored content, or for a reply's quote only
 * what `quoteSql` selects, so they take `unknown` and must give the same text from both.
 */
export interface MessageKind<K extends string = string, S extends TSchema = TSchema> {
  readonly type: K
  /** A client may send it (system messages are written by the server). */
  readonly sendable: boolean
  /** Its sender may replace its content (within the edit window). */
  readonly editable: boolean
  /** The content's shape, for documentation and the SDK type check; `check` is the rule. */
  readonly content: S
  /** Throws VALIDATION (src/lib/errors.ts) with the reason. */
  check (content: unknown, limits: ContentLimits): void
  /**
   * What `preview` needs of content column `c`, as a bounded SQL jsonb expression (a reply's
   * quote is read with every message served), or undefined when the preview needs nothing.
   */
  quoteSql?: (c: string) => string
  /** One line for push, reply quotes and notifications. */
  preview (content: unknown): string
  /**
   * The text search finds it by (null for content without one); absent: the kind is not
   * searched. src/modules/search covers text only so far (test/modules/search/search-kinds.test.ts).
   */
  searchText?: (content: unknown) => string | null
}

