import t from 'tap'
import { readFileSync } from 'node:fs'
import { build } from '../../helper.js'
import { NO_SPACE_CHAR, NO_SPACE_CLASS_SQL } from '../../../src/modules/search/no-space-chars.js'

const MIGRATION = new URL('../../../prisma/migrations/20261202000500_send_path_indexes/migration.sql', import.meta.url)

t.test('the index predicate in the migration is the class the queries name', async (t) => {
  t.ok(readFileSync(MIGRATION, 'utf8').includes(`~ '${NO_SPACE_CLASS_SQL}'`), 'byte for byte, or the planner cannot prove the index predicate')
})

t.test('JavaScript and PostgreSQL agree on every range edge', async (t) => {
  const app = await build(t)
  // Each range's first and last code point and their outer neighbours, plus ordinary text.
  const probes = ['a', ' ', '1', 'é', 'ß', 'Ж', 'ا', '\u0DFF', '\u0E00', '\u0E7F', '\u0E80', '\u10FF', '\u1100', '\u11FF', '\u1200',
    '\u2E7F', '\u2E80', '\u2FDF', '\u2FE0', '\u2FFF', '\u3000', '々', '\u31FF', '\u3200', '\u33FF', '\u3400', '\u4DBF', '\u4DC0', '\u4DFF', '\u4E00', '北', '\u9FFF', '\uA000',
    '\uA95F', '\uA960', '\uA97F', '\uA980', '\uABFF', '\uAC00', '한', '\uD7FF', '\uE000', '\uF8FF', '\uF900', '\uFAFF', '\uFB00', '\uFF64', '\uFF65', '\uFFDC', '\uFFDD',
    '\u{1FFFF}', '\u{20000}', '𠀋', '\u{3134F}', '\u{31350}', '😀']
  const rows = await app.sql.query<{ s: string, m: boolean }>(`SELECT s, s ~ '${NO_SPACE_CLASS_SQL}' AS m FROM unnest($1::text[]) s`, [probes])
  for (const { s, m } of rows) t.equal(m, NO_SPACE_CHAR.test(s), `U+${s.codePointAt(0)!.toString(16).toUpperCase()}`)
  t.equal(rows.length, probes.length)
})

t.test('a query with such a character can use the partial trigram index', async (t) => {
  const app = await build(t)
  // No sequential scans: a plan on the index exists only if its predicate is implied.
  await app.sql.query('SET enable_seqscan = off', [])
  t.teardown(async () => { await app.sql.query('RESET enable_seqscan', []) })
  const plan = await app.sql.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT id FROM messages x
    WHERE x.type = 'text' AND x.recalled_at IS NULL AND (x.content #>> '{}'::text[]) ~ '${NO_SPACE_CLASS_SQL}'
      AND regexp_replace((x.content #>> '{}'::text[]), '(.)', '\\1\\1', 'g') LIKE $1`, ['%北北京京%'])
  t.match(plan.map((r) => r['QUERY PLAN']).join('\n'), /messages_search_trgm_idx/)
})
