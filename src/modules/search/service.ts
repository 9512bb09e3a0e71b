import { Errors, validation } from '../../lib/errors.js'
import type { SqlClient } from '../../db/drivers.js'
import { MESSAGE_COLUMNS, toMessage, type MessageRow, type MessageView, type MessageType, visibleTo } from '../conversations/index.js'
import { SEARCH_QUERY_MAX_CHARS } from './schemas.js'
import { NO_SPACE_CHAR, NO_SPACE_CLASS_SQL } from './no-space-chars.js'

export interface SearchHitView {
  message: MessageView
  conversationId: string
  highlight: { text: string, ranges: Array<{ start: number, end: number }> }
}

export interface SearchPage { hits: SearchHitView[], nextCursor?: string }

const DEFAULT_LIMIT = 20

/** Scripts written without spaces between words: searched by substring, not by word. */
const NO_SPACES = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u
const NO_SPACES_ALL = new RegExp(NO_SPACES.source, 'gu')

// ts_headline marks matches with two private-use characters (removed from the text first),
// turned into ranges here: the client gets plain text and offsets, never markup.
const START = '\uE000'
const STOP = '\uE001'
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, HighlightAll=true`

/**
 * The one kind searched, by its content: the indexes (partial on `type = 'text'`) read a text
 * message's content. The registry's searchable kinds (`SEARCHABLE_TYPES`) must be this one
 * (test/modules/search/search-kinds.test.ts); another needs a stored search text first.
 */
export const SEARCHED_TYPE = 'text' satisfies MessageType

/** The message text as the indexes see it (content of a text message is a JSON string). */
const TEXT = `(x.content #>> '{}'::text[])`
const TSQUERY = `websearch_to_tsquery('english', $2)`
const WORDS = `to_tsvector('english'::regconfig, ${TEXT}) @@ ${TSQUERY}`
/** The text with every character doubled: what the trigram index covers (see the migration). */
const DOUBLED = `regexp_replace(${TEXT}, '(.)', '\\1\\1', 'g')`
/**
 * The trigram index's predicate beyond type and recall: the text holds a character of a
 * script without spaces. A group with such a term implies it, and says so for the planner.
 */
const HAS_NO_SPACE_CHAR = `${TEXT} ~ '${NO_SPACE_CLASS_SQL}'`

/** Visible to the caller (`m` is their membership row): the visibility rule (conversations/visibility.ts). */
const VISIBLE = visibleTo('x', 'm')

/** A group that can only match text the trigram index covers (it requires such a character). */
const indexed = (g: Term[]): boolean => g.some((term) => !term.exclude && NO_SPACE_CHAR.test(term.text))

/** websearch syntax for substrings: groups separated by `or`; in a group every term is required, `-term` excluded. */
interface Term { text: string, exclude: boolean, caseless: boolean }
type Groups = Term[][]

/**
 * Text messages only: `x.type = 'text' AND x.recalled_at IS NULL` is the predicate of both
 * search indexes, so the planner can use them. $1 user, $2 query, $3 conversation or null,
 * $4/$5 keyset (created_at, id) or nulls, $6 limit, $7 headline options, $8.. substrings.
 */
function searchSql (groups: Groups, words: boolean): string {
  let n = 8
  // A group holding such a character can only match indexed text: it names the predicate so
  // the trigram index serves it. A group without one (English stop words only, "the") has
  // no index to use and is checked row by row in the caller's conversations.
  const like = groups.map((g) => '(' + (indexed(g) ? `${HAS_NO_SPACE_CHAR} AND ` : '') +
    g.map((term) => `${DOUBLED} ${term.exclude ? 'NOT ' : ''}${term.caseless ? 'LIKE' : 'ILIKE'} $${n++}`).join(' AND ') + ')').join(' OR ')
  const match = groups.length === 0 ? WORDS : words ? `(${WORDS} OR ${like})` : `(${like})`
  return `
SELECT ${MESSAGE_COLUMNS},
  ts_headline('english', translate(${TEXT}, '${START}${STOP}', ''), ${TSQUERY}, $7) AS headline
FROM messages x
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $1::uuid
JOIN users u ON u.id = x.sender_id
WHERE x.type = '${SEARCHED_TYPE}' AND x.recalled_at IS NULL AND ${VISIBLE}
  AND ($3::uuid IS NULL OR x.conversation_id = $3::uuid)
  AND ($4::timestamptz IS NULL OR (x.created_at, x.id) < ($4::timestamptz, $5::uuid))
  AND ${match}
ORDER BY x.created_at DESC, x.id DESC
LIMIT $6::int`
}

/**
 * The recent window (first pages only): a common term ("coffee", 北京) matches tens of
 * thousands of rows at 1M messages, and the index path must fetch and re-check every one
 * before it can sort them and keep 20. People search their recent messages, so the first
 * page is looked for first among the newest RECENT_ROWS text messages of each of the
 * caller's RECENT_CONVERSATIONS most recently active conversations, matched row by row (plain
 * LIKE on the text: the same answer as the doubled pattern, without doubling). The window's
 * answer is used only when it is provably the index path's answer: `limit + 1` hits, the
 * last of them newer (by WINDOW_MARGIN_MS) than every row left out, i.e. than the oldest row
 * of each window that was cut off and than the newest message of the first conversation not
 * scanned. The margin covers `created_at` (a transaction's start time) not quite following
 * `seq` for sends that overlapped. Otherwise the index path answers; a rare term costs the
 * window's few milliseconds more. Measured in BENCHMARKS.md (search, 1M messages).
 */
const RECENT_CONVERSATIONS = 4
const RECENT_ROWS = 1000
const WINDOW_MARGIN_MS = 2000

/** $1 user, $2 query, $3 conversation or null, $4 limit, $5 headline options, $6.. substrings. */
function recentSql (groups: Groups, words: boolean): string {
  let n = 6
  const like = groups.map((g) => '(' + g.map((term) => `${TEXT} ${term.exclude ? 'NOT ' : ''}${term.caseless ? 'LIKE' : 'ILIKE'} $${n++}`).join(' AND ') + ')').join(' OR ')
  const match = groups.length === 0 ? WORDS : words ? `(${WORDS} OR ${like})` : `(${like})`
  return `
WITH convs AS (
  SELECT m.conversation_id, m.cleared_seq, c.last_message_at
  FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
  WHERE m.user_id = $1::uuid AND ($3::uuid IS NULL OR m.conversation_id = $3::uuid) AND c.last_message_at IS NOT NULL
  ORDER BY c.last_message_at DESC, m.conversation_id
  LIMIT ${RECENT_CONVERSATIONS + 1}
), scanned AS (
  SELECT * FROM convs ORDER BY last_message_at DESC, conversation_id LIMIT ${RECENT_CONVERSATIONS}
), win AS (
  SELECT x.*, ${match} AS hit FROM scanned m CROSS JOIN LATERAL (
    SELECT x.* FROM messages x
    WHERE x.conversation_id = m.conversation_id AND x.seq > m.cleared_seq AND x.type = '${SEARCHED_TYPE}' AND x.recalled_at IS NULL
    ORDER BY x.seq DESC LIMIT ${RECENT_ROWS}) x
), bound AS (
  SELECT greatest(
    (SELECT max(oldest) FROM (SELECT min(created_at) AS oldest FROM win GROUP BY conversation_id HAVING count(*) = ${RECENT_ROWS}) cut),
    (SELECT last_message_at FROM convs ORDER BY last_message_at DESC, conversation_id OFFSET ${RECENT_CONVERSATIONS} LIMIT 1)) AS at
)
SELECT ${MESSAGE_COLUMNS},
  ts_headline('english', translate(${TEXT}, '${START}${STOP}', ''), ${TSQUERY}, $5) AS headline,
  (SELECT at FROM bound) AS bound
FROM win x
JOIN users u ON u.id = x.sender_id
-- The visibility rule (visibleTo) in two halves: cleared inside the window, hidden on the hits only.
WHERE x.hit AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = $1::uuid AND h.message_id = x.id)
ORDER BY x.created_at DESC, x.id DESC
LIMIT $4::int`
}

/** Whether the words part can match anything, and whether the conversation filter is readable. */
const PRECHECK_SQL = `SELECT numnode(websearch_to_tsquery('english', $1)) AS nodes,
  ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $2::uuid AND user_id = $3::uuid)) AS readable`

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => '\\' + c)
/** Every code point twice, as the index expression does (PostgreSQL's `.` is a code point). */
const doubled = (s: string): string => [...s].map((c) => c + c).join('')

function encodeCursor (m: MessageView): string {
  return Buffer.from(`${m.createdAt}|${m.id}`).toString('base64url')
}

function decodeCursor (cursor: string): { at: string, id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|')
  const date = new Date(at ?? '')
  if (id === undefined || Number.isNaN(date.getTime()) || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw validation('cursor: invalid cursor')
  return { at: date.toISOString(), id }
}

/**
 * The query as substring groups, websearch-style: whitespace-separated terms, `or` between
 * groups, a leading `-` excludes, quotes dropped. A group of exclusions only is dropped
 * (it would match nearly everything).
 */
function substringGroups (q: string): Groups {
  const groups: Groups = [[]]
  for (const raw of q.split(/\s+/)) {
    if (raw.toLowerCase() === 'or') { groups.push([]); continue }
    const exclude = raw.startsWith('-') && raw.length > 1
    const text = (exclude ? raw.slice(1) : raw).replace(/"/g, '')
    // Chinese has no case: LIKE is several times cheaper per row than ILIKE's lower().
    if (text.length > 0) groups[groups.length - 1]!.push({ text, exclude, caseless: text.toLowerCase() === text.toUpperCase() })
  }
  return groups.filter((g) => g.some((term) => !term.exclude))
}

/** Ranges of the headline's markers in the text without them, plus every occurrence of the substrings. */
export function toHighlight (headline: string, substrings: string[]): SearchHitView['highlight'] {
  const ranges: Array<{ start: number, end: number }> = []
  let text = ''
  let open = -1
  for (const ch of headline) {
    if (ch === START) open = text.length
    else if (ch === STOP) { if (open >= 0) ranges.push({ start: open, end: text.length }); open = -1 } else text += ch
  }
  const lower = text.toLowerCase()
  const haystack = lower.length === text.length ? lower : text
  for (const term of substrings) {
    const needle = haystack === lower ? term.toLowerCase() : term
    if (needle.length === 0 || needle.length !== term.length) continue
    for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) {
      ranges.push({ start: i, end: i + needle.length })
    }
  }
  ranges.sort((a, b) => a.start - b.start || a.end - b.end)
  const merged: typeof ranges = []
  for (const r of ranges) {
    const last = merged[merged.length - 1]
    if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end)
    else if (r.end > r.start) merged.push({ ...r })
  }
  return { text, ranges: merged }
}

/** Message search over the conversations the caller is a member of. */
export function createSearchService (sql: SqlClient) {
  /** The first page from the recent window, or undefined when the window cannot prove it complete. */
  async function recentWindow (userId: string, q: string, conversationId: string | undefined, limit: number, groups: Groups, words: boolean, name: string | undefined): Promise<Array<MessageRow & { headline: string | null }> | undefined> {
    const terms = groups.flat()
    const rows = await sql.query<MessageRow & { headline: string | null, bound: Date | string | null }>(recentSql(groups, words), [
      userId, q, conversationId ?? null, limit + 1, HEADLINE_OPTIONS,
      ...terms.map((term) => `%${escapeLike(term.text)}%`)
    ], name === undefined ? undefined : `${name}_recent`)
    const last = rows[limit]
    if (last === undefined) return undefined
    const bound = last.bound === null ? undefined : new Date(last.bound).getTime()
    if (bound !== undefined && new Date(last.created_at).getTime() <= bound + WINDOW_MARGIN_MS) return undefined
    return rows
  }

  return {
    async messages (userId: string, opts: { q: string, conversationId?: string, limit?: number, cursor?: string }): Promise<SearchPage> {
      const q = opts.q
      if (q.trim().length === 0) throw validation('q: must not be blank')
      if (q.length > SEARCH_QUERY_MAX_CHARS) throw validation(`q: longer than ${SEARCH_QUERY_MAX_CHARS} characters`)
      const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor)
      const limit = opts.limit ?? DEFAULT_LIMIT

      const [pre] = await sql.query<{ nodes: number, readable: boolean }>(PRECHECK_SQL, [q, opts.conversationId ?? null, userId], 'search_precheck')
      if (pre?.readable !== true) throw Errors.conversationNotFound()
      // Substrings for scripts without spaces, and for queries of stop words only ("don't",
      // "the"), which the English parser reduces to nothing.
      const groups = NO_SPACES.test(q) || pre.nodes === 0 ? substringGroups(q) : []
      if (groups.length === 0 && pre.nodes === 0) return { hits: [] }
      // A query in those scripts only (no other letters or digits) needs no word match: the
      // substrings find everything the words would, and computing each scanned row's tsvector
      // for nothing was most of a 2-character query's time.
      const words = pre.nodes > 0 && (groups.length === 0 || /[\p{L}\p{N}]/u.test(q.replace(NO_SPACES_ALL, '')))
      const terms = groups.flat()
      const highlighted = terms.filter((term) => !term.exclude).map((term) => term.text)

      // Each shape of groups is its own statement; only small ones are prepared (named).
      const name = terms.length <= 3 ? `search_${words ? 'w' : ''}${groups.map((g) => (indexed(g) ? 'k' : '') + g.map((term) => (term.exclude ? 'n' : 'y') + (term.caseless ? 'c' : 'i')).join('')).join('_')}` : undefined
      const recent = after === undefined ? await recentWindow(userId, q, opts.conversationId, limit, groups, words, name) : undefined
      const rows = recent ?? await sql.query<MessageRow & { headline: string | null }>(searchSql(groups, words), [
        userId, q, opts.conversationId ?? null, after?.at ?? null, after?.id ?? null, limit + 1, HEADLINE_OPTIONS,
        ...terms.map((term) => `%${escapeLike(doubled(term.text))}%`)
      ], name)
      const page = rows.slice(0, limit)
      const hits = page.map((r) => {
        const message = toMessage(r)
        return { message, conversationId: message.conversationId, highlight: toHighlight(r.headline ?? '', highlighted) }
      })
      const last = hits[hits.length - 1]
      return rows.length > limit && last !== undefined ? { hits, nextCursor: encodeCursor(last.message) } : { hits }
    }
  }
}

export type SearchService = ReturnType<typeof createSearchService>
