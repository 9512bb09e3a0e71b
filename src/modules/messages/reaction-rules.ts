import { type AppError, conflict, Errors, validation } from '../../lib/errors.js'
import { EMOJIS_PER_MEMBER, EMOJIS_PER_MESSAGE } from './reactions.js'

/** One reaction:add or reaction:remove, its emoji already checked (adds) by the caller. */
export interface ReactionOp {
  userId: string
  messageId: string
  emoji: string
  add: boolean
  /** The HTTP route's conversation: another one is NOT_FOUND. */
  conversationId?: string
}

/** What the batch read of an op's message, under its conversation's row lock; undefined: no such message. */
export interface OpTarget {
  conversationId: string
  conversationType: 'direct' | 'group' | 'channel'
  recalled: boolean
  system: boolean
  /** The op's user sees the message (a member; the visibility rule). */
  visible: boolean
}

/** A stored reaction: (message, emoji, user). */
export interface ReactionKey { messageId: string, emoji: string, userId: string }

export interface Plan {
  /** Per op, in order: its refusal, or undefined (done, or a no-op). */
  refusals: Array<AppError | undefined>
  /** Rows to delete, then rows to insert (a row removed and added again in the batch is in both: it goes to the end of its emoji's list, as it would one op at a time). */
  deletes: ReactionKey[]
  inserts: ReactionKey[]
  /** Messages whose reactions changed (each takes one rev for the batch). */
  changed: Set<string>
}

const pairKey = (messageId: string, userId: string): string => `${messageId}\n${userId}`

/**
 * Applies a batch of ops, in order, to the reactions as they stood when the batch took its
 * locks, with the rules one op at a time would meet: not seen (NOT_FOUND), a system message
 * (VALIDATION), recalled (CONFLICT), a member's 3 emojis and a message's 20 (CONFLICT); an
 * add the member holds and a remove they do not are no-ops. Counts per emoji (`counts`, all
 * holders) and the batch's users' own emojis (`holdings`, by message and user) move as each
 * op is applied, so the 20th emoji and a member's 3rd are refused to whoever comes after.
 */
export function planReactions (ops: readonly ReactionOp[], targets: ReadonlyArray<OpTarget | undefined>,
  counts: Map<string, Map<string, number>>, holdings: Map<string, Set<string>>): Plan {
  const refusals: Array<AppError | undefined> = []
  /** Per (message, user, emoji) touched: held before the batch, removed at some point in it. */
  const touched = new Map<string, { key: ReactionKey, before: boolean, removed: boolean }>()
  for (const [i, op] of ops.entries()) {
    const t = targets[i]
    if (t === undefined || !t.visible || (op.conversationId !== undefined && op.conversationId !== t.conversationId)) {
      refusals.push(Errors.messageNotFound())
      continue
    }
    if (t.system) { refusals.push(validation('System messages cannot be reacted to')); continue }
    if (t.recalled) { refusals.push(conflict('A recalled message cannot be reacted to')); continue }
    const mine = holdings.get(pairKey(op.messageId, op.userId)) ?? new Set<string>()
    holdings.set(pairKey(op.messageId, op.userId), mine)
    const emojis = counts.get(op.messageId) ?? new Map<string, number>()
    counts.set(op.messageId, emojis)
    const held = mine.has(op.emoji)
    if (op.add === held) { refusals.push(undefined); continue }
    if (op.add) {
      if (mine.size >= EMOJIS_PER_MEMBER) { refusals.push(conflict(`At most ${EMOJIS_PER_MEMBER} different emojis per member on one message`)); continue }
      if ((emojis.get(op.emoji) ?? 0) === 0 && emojis.size >= EMOJIS_PER_MESSAGE) { refusals.push(conflict(`At most ${EMOJIS_PER_MESSAGE} different emojis per message`)); continue }
    }
    const id = `${op.messageId}\n${op.userId}\n${op.emoji}`
    const entry = touched.get(id) ?? { key: { messageId: op.messageId, emoji: op.emoji, userId: op.userId }, before: held, removed: false }
    touched.set(id, entry)
    const n = (emojis.get(op.emoji) ?? 0) + (op.add ? 1 : -1)
    if (n === 0) emojis.delete(op.emoji)
    else emojis.set(op.emoji, n)
    if (op.add) {
      mine.add(op.emoji)
    } else {
      mine.delete(op.emoji)
      entry.removed = true
    }
    refusals.push(undefined)
  }
  const deletes: ReactionKey[] = []
  const inserts: ReactionKey[] = []
  const changed = new Set<string>()
  for (const { key, before, removed } of touched.values()) {
    const after = holdings.get(pairKey(key.messageId, key.userId))?.has(key.emoji) === true
    if (before && (!after || removed)) deletes.push(key)
    if (after && (!before || removed)) inserts.push(key)
    if (before !== after || (before && removed)) changed.add(key.messageId)
  }
  return { refusals, deletes, inserts, changed }
}
