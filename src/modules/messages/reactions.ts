import { REACTIONS_MAX, REACTIONS_PER_MEMBER } from '@relay-im/client/protocol'
import { validation } from '../../lib/errors.js'

/** Distinct emojis one message may carry. */
export const EMOJIS_PER_MESSAGE = REACTIONS_MAX
/** Distinct emojis one member may put on one message: nobody takes a message's slots alone. */
export const EMOJIS_PER_MEMBER = REACTIONS_PER_MEMBER

/**
 * A reaction key is exactly one emoji of Unicode's recommended set (RGI): a basic emoji, a
 * keycap, a skin-tone sequence, a flag, a subdivision flag or a ZWJ sequence vendors draw.
 * Anything that only looks like one is refused: an emoji with a stray joiner or variation
 * selector (it would count apart from the real one), a flag followed by tag characters
 * spelling text, an invented ZWJ sequence, an unassigned code point. (`v` flag: `new RegExp`
 * because the compile target predates it; Node 20 has it.)
 */
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v')

export function isReactionKey (value: string): boolean {
  return RGI_EMOJI.test(value)
}

/** The reaction key to add, or VALIDATION. Returned as given: 👍 and 👍🏽 are different reactions. */
export function checkEmoji (emoji: string): string {
  if (!isReactionKey(emoji)) throw validation('emoji: must be exactly one emoji (a Unicode RGI emoji sequence)')
  return emoji
}
