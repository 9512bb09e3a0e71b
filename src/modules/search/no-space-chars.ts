/**
 * Characters of the scripts written without spaces between words (Han, kana, Hangul, Thai,
 * with their compatibility and extension blocks): the only text the substring (trigram)
 * index covers. English and every other spaced script is found by words (the tsvector
 * index); indexing its trigrams too cost the send statement about a third of its database
 * CPU per message (measured with bench/send-statement.ts; see BENCHMARKS.md). One list, two
 * spellings: a JavaScript RegExp for the query builder and the PostgreSQL bracket
 * expression of the index predicate (migration 20261202000500_send_path_indexes), which must
 * stay byte for byte what NO_SPACE_CLASS_SQL returns (test/modules/search/no-space-chars.test.ts).
 */
const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0E00, 0x0E7F], // Thai
  [0x1100, 0x11FF], // Hangul Jamo
  [0x2E80, 0x2FDF], // CJK radicals, Kangxi radicals
  [0x3000, 0x303F], // CJK symbols and punctuation (々 〆 〇 …)
  [0x3040, 0x31FF], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, …
  [0x3400, 0x4DBF], // CJK extension A
  [0x4E00, 0x9FFF], // CJK unified ideographs
  [0xA960, 0xA97F], // Hangul Jamo extended A
  [0xAC00, 0xD7FF], // Hangul syllables, Jamo extended B
  [0xF900, 0xFAFF], // CJK compatibility ideographs
  [0xFF65, 0xFFDC], // half-width Katakana and Hangul
  [0x20000, 0x3134F] // CJK extensions B-G
]

const js = (cp: number): string => `\\u{${cp.toString(16)}}`
const pg = (cp: number): string => cp > 0xFFFF ? `\\U${cp.toString(16).toUpperCase().padStart(8, '0')}` : `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`

/** True when the string holds at least one such character. */
export const NO_SPACE_CHAR = new RegExp(`[${RANGES.map(([a, b]) => `${js(a)}-${js(b)}`).join('')}]`, 'u')

/** The same class as a PostgreSQL regular expression (for `text ~ '…'`). */
export const NO_SPACE_CLASS_SQL = `[${RANGES.map(([a, b]) => `${pg(a)}-${pg(b)}`).join('')}]`
