import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { PollContent, PollResults as PollResultsView } from '@relay-im/client/protocol'
import { conflict, forbidden, validation } from '../../lib/errors.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { txSql } from '../../db/tx-sql.js'
import { defineEvent, type Realtime } from '../../plugins/realtime/index.js'
import { POLL_OPTIONS_MAX, PollResults } from '../message-kinds/index.js'
import { IdParams, Message, requireRole, Uuid, type ConversationsDeps, type MessageView } from '../conversations/index.js'
import { messageNotFound, type ChangeStream, type Target } from './change-stream.js'
import { POLL_CLOSE_SQL, POLL_MINE_SQL, POLL_STATE_SQL, POLL_UNVOTE_SQL, POLL_VOTE_SQL } from './sql.js'

/** Empty: retract. Distinct indexes; checked against the poll's options and choice mode in `vote`. */
const OptionIndexes = Type.Array(Type.Integer({ minimum: 0, maximum: POLL_OPTIONS_MAX - 1 }), { maxItems: POLL_OPTIONS_MAX, uniqueItems: true })
export const PollVoteEvent = Type.Object({ messageId: Uuid, optionIndexes: OptionIndexes }, { additionalProperties: false })
export const PollVoteBody = Type.Object({ optionIndexes: OptionIndexes }, { additionalProperties: false })
export const PollCloseEvent = Type.Object({ messageId: Uuid }, { additionalProperties: false })
/** The results and the caller's own choice (the only place an anonymous poll's voter learns it). */
export const PollState = Type.Object({ poll: PollResults, myVotes: Type.Array(Type.Integer()) })

export interface PollStateView { poll: PollResultsView, myVotes: number[] }

/** A live, open poll under the change stream's lock, or the refusal. */
async function openPoll (tx: Parameters<Parameters<ChangeStream['change']>[3]>[0], t: Target, userId: string): Promise<{ content: PollContent, mine: number[] }> {
  if (t.type !== 'poll') throw validation('Not a poll')
  if (t.recalled_at !== null) throw conflict('The poll was recalled')
  const content = t.content as PollContent
  const [state] = await txSql(tx).query<{ closed: boolean, mine: number[] }>(POLL_STATE_SQL, [t.id, userId])
  if (state === undefined) throw messageNotFound()
  if (state.closed || (content.closesAt !== undefined && Date.parse(content.closesAt) <= Date.now())) throw conflict('The poll is closed')
  return { content, mine: state.mine }
}

const sameSet = (a: number[], b: number[]): boolean => a.length === b.length && a.every((i) => b.includes(i))

/** Votes and closing on the change stream: each is a change of the poll message (its rev, `message:updated`). */
export function createPolls (deps: ConversationsDeps, changes: ChangeStream) {
  const resultsOf = (m: MessageView): PollResultsView => {
    if (m.poll === undefined) throw messageNotFound()
    return m.poll
  }

  return {
    /**
     * Sets the caller's choice to `optionIndexes` (empty: retract). A member who cannot see
     * the message: NOT_FOUND; recalled or closed: CONFLICT; an index past the options or
     * several in a single-choice poll: VALIDATION. The same choice again changes nothing.
     */
    async vote (userId: string, messageId: string, optionIndexes: number[]): Promise<PollStateView> {
      if (new Set(optionIndexes).size !== optionIndexes.length) throw validation('optionIndexes: each option once')
      const { message, result } = await changes.change(userId, messageId, undefined, async (tx, t) => {
        const { content, mine } = await openPoll(tx, t, userId)
        const past = optionIndexes.find((i) => i >= content.options.length)
        if (past !== undefined) throw validation(`optionIndexes: the poll has ${content.options.length} options (0-${content.options.length - 1})`)
        if (content.multiple !== true && optionIndexes.length > 1) throw validation('optionIndexes: a single-choice poll takes one option')
        const chosen = [...optionIndexes].sort((a, b) => a - b)
        if (sameSet(chosen, mine)) return { changed: false, result: chosen }
        const q = txSql(tx)
        await q.execute(POLL_UNVOTE_SQL, [t.id, userId, chosen])
        await q.execute(POLL_VOTE_SQL, [t.id, userId, chosen])
        return { changed: true, result: chosen }
      })
      return { poll: resultsOf(message), myVotes: result }
    },

    /** Its creator, or a group's or channel's owner or admin (FORBIDDEN); already closed: CONFLICT. */
    async close (userId: string, messageId: string): Promise<MessageView> {
      const { message } = await changes.change(userId, messageId, undefined, async (tx, t) => {
        if (t.type !== 'poll') throw validation('Not a poll')
        if (t.sender_id !== userId) {
          if (t.conversation_type === 'direct') throw forbidden('Only the poll\'s creator can close it')
          requireRole(t.role, 'closePolls')
        }
        await openPoll(tx, t, userId)
        await txSql(tx).execute(POLL_CLOSE_SQL, [t.id, userId])
        return { changed: true, result: undefined }
      })
      return message
    },

    /** The results and the caller's own choice; NOT_FOUND unless the caller sees the poll. */
    async state (userId: string, messageId: string): Promise<PollStateView> {
      const [row] = await deps.sql.query<{ mine: number[] }>(POLL_MINE_SQL, [messageId, userId], 'poll_mine')
      const message = row === undefined ? undefined : await changes.read(messageId)
      if (row === undefined || message === undefined || message.poll === undefined) throw messageNotFound()
      return { poll: message.poll, myVotes: row.mine }
    }
  }
}

export type Polls = ReturnType<typeof createPolls>

export function registerPollEvents (realtime: Realtime, polls: Polls): void {
  realtime.handle({
    'poll:vote': defineEvent(PollVoteEvent, async (ctx, p) => await polls.vote(ctx.userId, p.messageId, p.optionIndexes)),
    'poll:close': defineEvent(PollCloseEvent, async (ctx, p) => await polls.close(ctx.userId, p.messageId))
  })
}

const security = [{ bearer: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }
const tags = ['messages']

/** REST twins of the socket events, and the caller's own view of a poll; registered by routes.ts (authenticated). */
export const pollRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const polls = app.polls
  app.get('/messages/:id/poll', {
    schema: { tags, security, operationId: 'getPoll', summary: 'A poll\'s results and my own choice', params: IdParams, response: { 200: PollState, ...errors } }
  }, async (request) => await polls.state(request.userId, request.params.id))

  app.put('/messages/:id/poll/vote', {
    schema: { tags, security, operationId: 'votePoll', summary: 'Vote, change my vote, or retract it with [] (same as poll:vote)', params: IdParams, body: PollVoteBody, response: { 200: PollState, ...errors } }
  }, async (request) => await polls.vote(request.userId, request.params.id, request.body.optionIndexes))

  app.post('/messages/:id/poll/close', {
    schema: { tags, security, operationId: 'closePoll', summary: 'Close a poll (same as poll:close): its creator, or the owner or an admin', params: IdParams, response: { 200: Message, ...errors } }
  }, async (request) => await polls.close(request.userId, request.params.id))
}
