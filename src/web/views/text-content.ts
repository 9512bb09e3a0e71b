import { h } from '../dom.js'

/** `https://…`, `http://…` or `www.…` up to a space; trailing punctuation is not part of it. */
const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi
const TRAILING = /[.,;:!?)\]}'"»。，；：！？）】]+$/u

/** The href of a link found in text: http(s) only, anything else (javascript:, data:…) is none. */
export function safeHref (found: string): string | undefined {
  try {
    const url = new URL(/^www\./i.test(found) ? `https://${found}` : found)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined
  } catch {
    return undefined
  }
}

/** A message's text with its web addresses as links (new tab, no opener or referrer); never parsed as HTML. */
export function linkified (text: string): Array<Node | string> {
  const out: Array<Node | string> = []
  let at = 0
  for (const match of text.matchAll(LINK)) {
    const start = match.index
    const raw = match[0].replace(TRAILING, '')
    const href = safeHref(raw)
    if (href === undefined) continue
    out.push(text.slice(at, start), h('a', { href, target: '_blank', rel: 'noopener noreferrer', testid: 'message-link' }, raw))
    at = start + raw.length
  }
  out.push(text.slice(at))
  return out.filter((n) => n !== '')
}

const EMOJI_ONLY = /^(?:\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier}|\u200D\p{Extended_Pictographic}\uFE0F?)*\s*){1,3}$/u

/** One to three emoji and nothing else: shown large, as messengers do. */
export function emojiOnly (text: string): boolean {
  return EMOJI_ONLY.test(text.trim())
}
