import type { AppError } from '../../lib/errors.js'
import { createGroupCommit } from '../../lib/group-commit.js'
import { txSql } from '../../db/tx-sql.js'
import type { ConversationsDeps, MessageView, ReactionView } from '../conversations/index.js'
import { planReactions, type OpTarget, type ReactionKey, type ReactionOp } from './reaction-rules.js'
import { CHANGE_BUMP_SQL, REACTION_COUNTS_SQL, REACTION_DELETE_SQL, REACTION_INSERT_MANY_SQL, REACTION_LOCK_SQL, REACTION_TARGETS_SQL } from './sql.js'

/** A changed message as its batch committed it: who is told (the visibility rule, in the batch's transaction). */
export interface ReactionChange { messageId: string, conversationId: string, conversationType: OpTarget['conversationType'], memberIds: string[], blindIds: string[] }

/** An op's outcome: its refusal, or the message's reactions after its batch. */
export type ReactionOutcome = { error: AppError } | { reactions: ReactionView[] }

export interface ReactionBatchOptions {
  /** Batches (transactions) in flight at once on this node. */
  concurrency: number
  maxBatch?: number
  maxQueued?: number
  /** The message as served now (after the batch committed); undefined when it is gone. */
  read: (messageId: string) => Promise<MessageView | undefined>
  /** Runs a batch's transaction within the bound every change transaction shares (the change stream's `exclusive`). */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>
  /** After a batch committed, once per changed message, with the message read after the commit. */
  onChanged: (change: ReactionChange, message: MessageView) => void
}

interface TargetRow { n: number, conversation_id: string, conversation_type: OpTarget['conversationType'], recalled: boolean, system: boolean, visible: boolean }
interface CountRow { message_id: string, emoji: string, n: number, holders: string[] }

const columns = (keys: ReactionKey[]): [string[], string[], string[]] => [keys.map((k) => k.messageId), keys.map((k) => k.emoji), keys.map((k) => k.userId)]

/**
 * Reactions as a group commit (src/lib/group-commit.ts, as sends): ops arriving while
 * `concurrency` batches are in flight go together in the next one, one transaction per batch:
 * the conversations' row locks (the lock sends and every change take, in id order), one read
 * of the targets and of the reactions' counts, the rules applied in memory op by op
 * (reaction-rules.ts), one delete and one insert, and one rev per changed message. Each op is
 * answered only after its batch committed. One message is in at most one batch at a time on a
 * node, so its ops apply in the order they arrived; batches of other nodes wait on the locks.
 */
export function createReactionBatcher (deps: Pick<ConversationsDeps, 'prisma'>, opts: ReactionBatchOptions) {
  async function commit (ops: ReactionOp[]): Promise<ReactionOutcome[]> {
    const messageIds = [...new Set(ops.map((o) => o.messageId))]
    const pairs = [...new Set(ops.map((o) => `${o.messageId}\n${o.userId}`))].map((p) => p.split('\n') as [string, string])
    const { plan, changes } = await opts.exclusive(async () => await deps.prisma.$transaction(async (tx) => {
      const q = txSql(tx)
      await q.query(REACTION_LOCK_SQL, [messageIds])
      // After the locks: each statement's snapshot sees every change committed before them.
      const targetRows = await q.query<TargetRow>(REACTION_TARGETS_SQL, [pairs.map((p) => p[0]), pairs.map((p) => p[1])])
      const byPair = new Map<string, OpTarget>()
      for (const r of targetRows) {
        const [messageId, userId] = pairs[r.n - 1] as [string, string]
        byPair.set(`${messageId}\n${userId}`, { conversationId: r.conversation_id, conversationType: r.conversation_type, recalled: r.recalled, system: r.system, visible: r.visible })
      }
      const counts = new Map<string, Map<string, number>>()
      const holdings = new Map<string, Set<string>>()
      const countRows = await q.query<CountRow>(REACTION_COUNTS_SQL, [messageIds, [...new Set(ops.map((o) => o.userId))]])
      for (const r of countRows) {
        const emojis = counts.get(r.message_id) ?? new Map<string, number>()
        counts.set(r.message_id, emojis.set(r.emoji, r.n))
        for (const userId of r.holders) {
          const key = `${r.message_id}\n${userId}`
          holdings.set(key, (holdings.get(key) ?? new Set()).add(r.emoji))
        }
      }
      const plan = planReactions(ops, ops.map((o) => byPair.get(`${o.messageId}\n${o.userId}`)), counts, holdings)
      if (plan.deletes.length > 0) await q.execute(REACTION_DELETE_SQL, columns(plan.deletes))
      if (plan.inserts.length > 0) await q.execute(REACTION_INSERT_MANY_SQL, columns(plan.inserts))
      const changes: ReactionChange[] = []
      for (const messageId of plan.changed) {
        const t = [...byPair.entries()].find(([k]) => k.startsWith(`${messageId}\n`))?.[1]
        if (t === undefined) continue
        const bumped = await q.query<{ member_ids: string[] | null, blind_ids: string[] | null }>(CHANGE_BUMP_SQL, [t.conversationId, messageId, t.conversationType])
        changes.push({ messageId, conversationId: t.conversationId, conversationType: t.conversationType, memberIds: bumped[0]?.member_ids ?? [], blindIds: bumped[0]?.blind_ids ?? [] })
      }
      return { plan, changes }
    // Batches of one conversation queue on its row lock, each holding a pooled connection while it waits.
    }, { maxWait: 10_000, timeout: 10_000 }))

    // The reactions every op of a message is answered with: read once, after the commit.
    const messages = new Map<string, MessageView | undefined>()
    for (const messageId of messageIds) {
      if (plan.refusals.every((r, i) => r !== undefined || ops[i]?.messageId !== messageId)) continue
      messages.set(messageId, await opts.read(messageId))
    }
    for (const change of changes) {
      const message = messages.get(change.messageId)
      if (message !== undefined) opts.onChanged(change, message)
    }
    return ops.map((op, i) => {
      const refusal = plan.refusals[i]
      if (refusal !== undefined) return { error: refusal }
      return { reactions: messages.get(op.messageId)?.reactions ?? [] }
    })
  }

  const group = createGroupCommit<ReactionOp, ReactionOutcome>({
    commit,
    concurrency: opts.concurrency,
    maxBatch: opts.maxBatch ?? 500,
    maxQueued: opts.maxQueued ?? 20_000,
    busyMessage: 'Server busy, retry the reaction',
    keyOf: (op) => op.messageId
  })

  return {
    /** Applies one op; settles once its batch committed, with the message's reactions or the op's refusal. */
    async submit (op: ReactionOp): Promise<ReactionView[]> {
      const outcome = await group.submit(op)
      if ('error' in outcome) throw outcome.error
      return outcome.reactions
    },
    /** Batches in flight and ops waiting. */
    stats: group.stats
  }
}

export type ReactionBatcher = ReturnType<typeof createReactionBatcher>
