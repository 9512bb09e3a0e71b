import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { MESSAGE_PREVIEWS, type PollContent as SdkPollContent, type PollResults as SdkPollResults } from '@relay-im/client/protocol'
import { validation } from '../../lib/errors.js'
import { charCount, labelProblem, normaliseLabel } from '../../lib/text-policy.js'
import { PREVIEW_MAX_CHARS, type MessageKind } from './kind.js'

export const POLL_OPTIONS_MIN = 2
export const POLL_OPTIONS_MAX = 10
export const POLL_QUESTION_MAX = 300
export const POLL_OPTION_MAX = 100
/** The latest `closesAt` a poll may be sent with, from now. */
export const POLL_CLOSES_MAX_MS = 366 * 24 * 3600 * 1000
/** Voters listed per option in a public poll's `votes` (counts stay exact). */
export const POLL_VOTERS_LISTED = 100

export const PollContent = Type.Object({
  question: Type.String({ minLength: 1, maxLength: POLL_QUESTION_MAX * 2 }),
  options: Type.Array(Type.String({ minLength: 1, maxLength: POLL_OPTION_MAX * 2 }), { minItems: POLL_OPTIONS_MIN, maxItems: POLL_OPTIONS_MAX }),
  multiple: Type.Optional(Type.Boolean()),
  anonymous: Type.Optional(Type.Boolean()),
  closesAt: Type.Optional(Type.String({ format: 'date-time' }))
}, { additionalProperties: false })

const shape = Compile(PollContent)

/** The results every viewer of a live poll gets (the SDK's `PollResults`). */
export const PollResults = Type.Object({
  counts: Type.Array(Type.Integer()),
  voters: Type.Integer(),
  closed: Type.Boolean(),
  closedAt: Type.Union([Type.String(), Type.Null()]),
  closedBy: Type.Union([Type.String(), Type.Null()]),
  votes: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String())))
})

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/

function checkPoll (content: unknown): void {
  if (!shape.Check(content)) {
    const first = shape.Errors(content)[0]
    const where = first?.instancePath !== undefined && first.instancePath !== '' ? first.instancePath : ''
    throw validation(`content${where}: ${first?.message ?? 'invalid poll'}; expected {question, options: 2-10 strings, multiple?, anonymous?, closesAt?}`)
  }
  const { question, options, closesAt } = content as SdkPollContent
  if (question.replace(/\s/g, '') === '') throw validation('content/question: must not be blank')
  if (charCount(question) > POLL_QUESTION_MAX) throw validation(`content/question: at most ${POLL_QUESTION_MAX} characters`)
  const seen = new Set<string>()
  options.forEach((option, i) => {
    const problem = labelProblem(option)
    if (problem !== undefined) throw validation(`content/options/${i}: ${problem}`)
    const label = normaliseLabel(option)
    if (charCount(label) > POLL_OPTION_MAX) throw validation(`content/options/${i}: at most ${POLL_OPTION_MAX} characters`)
    if (seen.has(label)) throw validation(`content/options/${i}: the same as an earlier option`)
    seen.add(label)
  })
  if (closesAt !== undefined) {
    const at = ISO_DATE_TIME.test(closesAt) ? Date.parse(closesAt) : NaN
    if (Number.isNaN(at)) throw validation('content/closesAt: an ISO 8601 date-time with a time zone')
    if (at <= Date.now()) throw validation('content/closesAt: must be in the future')
    if (at > Date.now() + POLL_CLOSES_MAX_MS) throw validation('content/closesAt: at most a year ahead')
  }
}

/**
 * Question, options and choice mode are fixed once sent: not editable, not forwarded
 * (send-references.ts). Not searched yet: its question would be (search reads text messages only).
 */
export const poll = {
  type: 'poll',
  sendable: true,
  editable: false,
  content: PollContent,
  check: checkPoll,
  quoteSql: (c) => `jsonb_build_object('question', left(${c}->>'question', ${PREVIEW_MAX_CHARS + 1}))`,
  preview: MESSAGE_PREVIEWS.poll
} satisfies MessageKind<'poll', typeof PollContent>

/**
 * The results of poll message `x` as one jsonb (null for other kinds): votes per option and,
 * for public polls only, who cast them. Read when served, like reactions, so never stale.
 */
export function pollResultsSql (x: string): string {
  return `CASE WHEN ${x}.type = 'poll' THEN jsonb_build_object(
    'votes', (SELECT jsonb_object_agg(o.option_index, CASE WHEN (${x}.content->>'anonymous')::boolean IS TRUE THEN NULL ELSE to_jsonb(o.user_ids) END)
      FROM (SELECT option_index, (array_agg(user_id ORDER BY created_at, user_id))[1:${POLL_VOTERS_LISTED}] AS user_ids, count(*)::int AS n
        FROM poll_votes WHERE message_id = ${x}.id GROUP BY option_index) o),
    'counts', (SELECT jsonb_object_agg(o.option_index, o.n) FROM (SELECT option_index, count(*)::int AS n FROM poll_votes WHERE message_id = ${x}.id GROUP BY option_index) o),
    'voters', (SELECT count(DISTINCT user_id)::int FROM poll_votes WHERE message_id = ${x}.id),
    'closedAt', ${x}.poll_closed_at, 'closedBy', ${x}.poll_closed_by) END`
}

interface RawResults { votes: Record<string, string[] | null> | null, counts: Record<string, number> | null, voters: number, closedAt: string | null, closedBy: string | null }

/** A poll's results as served, from `pollResultsSql`'s jsonb and its content. */
export function toPollResults (content: SdkPollContent, raw: unknown, now = Date.now()): SdkPollResults {
  const r: Partial<RawResults> = raw ?? {}
  const counts = content.options.map((_, i) => r.counts?.[i] ?? 0)
  const expired = content.closesAt !== undefined && Date.parse(content.closesAt) <= now
  const closedAt = r.closedAt !== null && r.closedAt !== undefined ? new Date(r.closedAt).toISOString() : expired ? new Date(content.closesAt ?? now).toISOString() : null
  const results: SdkPollResults = { counts, voters: r.voters ?? 0, closed: closedAt !== null, closedAt, closedBy: r.closedBy ?? null }
  if (content.anonymous !== true) {
    const votes: Record<string, string[]> = {}
    content.options.forEach((_, i) => { votes[i] = r.votes?.[i] ?? [] })
    results.votes = votes
  }
  return results
}
