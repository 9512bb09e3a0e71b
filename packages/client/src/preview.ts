import type { MessageType } from './protocol.js'

/** At most this many characters (code points) in a preview's text. */
export const PREVIEW_MAX_CHARS = 100

/** `s` cut to PREVIEW_MAX_CHARS code points, the last one `…` when cut. */
export function cutPreview (s: string): string {
  // code points <= UTF-16 units, so only long strings need counting
  if (s.length <= PREVIEW_MAX_CHARS) return s
  const chars = [...s]
  return chars.length > PREVIEW_MAX_CHARS ? chars.slice(0, PREVIEW_MAX_CHARS - 1).join('') + '…' : s
}

const field = (content: unknown, name: string): string | null => {
  const value = (content as Record<string, unknown> | null)?.[name]
  return typeof value === 'string' ? value : null
}

/**
 * The one preview rule of each message kind: the text a reply's quote (`replyTo.preview`), a
 * push and the server's other previews show. The server's kind registry uses these, and a
 * client computing a quote itself (a reply whose original was just edited) gets the same text.
 * Content is `unknown`: a preview reads stored content or only the part a quote selects.
 */
export const MESSAGE_PREVIEWS: { readonly [K in MessageType]: (content: unknown) => string } = {
  text: (content) => typeof content === 'string' ? cutPreview(content) : '[text]',
  image: () => '[image]',
  file: (content) => { const name = field(content, 'name'); return cutPreview(name === null ? '[file]' : `[file] ${name}`) },
  custom: () => '[custom]',
  system: () => '[system]',
  poll: (content) => { const q = field(content, 'question'); return cutPreview(q === null ? '[poll]' : `[poll] ${q}`) }
}

/** The preview of a message of `type` (`[type]` for a kind this SDK does not know). */
export function messagePreview (type: string, content: unknown): string {
  return (MESSAGE_PREVIEWS as Record<string, ((content: unknown) => string) | undefined>)[type]?.(content) ?? `[${type}]`
}
