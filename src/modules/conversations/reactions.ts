import { validation } from '../../lib/errors.js'

/** Bytes of UTF-8 one reaction may take. */
export const EMOJI_MAX_BYTES = 32
/** Distinct emojis one message may carry. */
export const EMOJIS_PER_MESSAGE = 20

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
/** A flag: two regional indicators. */
const FLAG = /^\p{Regional_Indicator}{2}$/u
/** Pictographs with their modifiers, joiners, presentation selectors and tag sequences. */
const EMOJI_SEQUENCE = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200d|\ufe0f|[\u{e0020}-\u{e007f}])+$/u
const PICTOGRAPH = /\p{Extended_Pictographic}/u

/**
 * One emoji grapheme (a `\p{Extended_Pictographic}` sequence, or a flag), at most
 * EMOJI_MAX_BYTES of UTF-8; anything else is VALIDATION. Returned as given (no normalisation:
 * 👍 and 👍🏽 are different reactions).
 */
export function checkEmoji (emoji: string): string {
  if (Buffer.byteLength(emoji) > EMOJI_MAX_BYTES) throw validation(`emoji: at most ${EMOJI_MAX_BYTES} bytes`)
  let graphemes = 0
  for (const _ of segmenter.segment(emoji)) if (++graphemes > 1) break
  const ok = graphemes === 1 && (FLAG.test(emoji) || (EMOJI_SEQUENCE.test(emoji) && PICTOGRAPH.test(emoji)))
  if (!ok) throw validation('emoji: must be exactly one emoji')
  return emoji
}
