-- Which index for Chinese substrings: psql -v rows=100000 -f bench/search-cjk-indexes.sql
-- (on a scratch database; see docs/protocol.md, message search, for the numbers).
\timing off
DROP TABLE IF EXISTS m;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE m (id serial primary key, body text);
INSERT INTO m (body) SELECT CASE WHEN s % 2 = 0
  THEN (ARRAY['running','meeting','coffee','project','deploy','review'])[1 + (s / 2) % 6] || ' note, ' || (ARRAY['alpha','bravo','charlie','delta'])[1 + (s / 7) % 4] || ' number ' || s || CASE WHEN s % 10007 = 0 THEN ' zephyr' ELSE '' END
  ELSE (ARRAY['今天','明天','我们','北京','上海','开会'])[1 + (s / 2) % 6] || (ARRAY['天气很好','去吃饭','讨论项目','看电影'])[1 + (s / 7) % 4] || '第' || s || '条' || CASE WHEN s % 10007 = 1 THEN '长城' ELSE '' END END
FROM generate_series(0, :rows - 1) s;
CREATE OR REPLACE FUNCTION bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}') FROM generate_series(1, length(t) - 1) i $$;
\timing on
\echo build trigram index
CREATE INDEX m_trgm ON m USING gin (body gin_trgm_ops);
\echo build bigram index
CREATE INDEX m_bigram ON m USING gin (bigrams(body));
\echo build trigram index on doubled characters (the one chosen)
CREATE INDEX m_dbl ON m USING gin (regexp_replace(body, '(.)', '\1\1', 'g') gin_trgm_ops);
\timing off
ANALYZE m;
SELECT pg_size_pretty(pg_relation_size('m_trgm')) trgm_size, pg_size_pretty(pg_relation_size('m_bigram')) bigram_size, pg_size_pretty(pg_relation_size('m_dbl')) doubled_size;
\timing on
\echo trgm 北京 (2 chars, common)
SELECT count(*) FROM m WHERE body ILIKE '%北京%';
\echo bigram 北京
SELECT count(*) FROM m WHERE bigrams(body) @> bigrams('北京') AND body ILIKE '%北京%';
\echo trgm 长城 (2 chars, rare)
SELECT count(*) FROM m WHERE body ILIKE '%长城%';
\echo bigram 长城
SELECT count(*) FROM m WHERE bigrams(body) @> bigrams('长城') AND body ILIKE '%长城%';
\echo doubled 北京
SELECT count(*) FROM m WHERE regexp_replace(body, '(.)', '\1\1', 'g') LIKE '%北北京京%';
\echo doubled 长城
SELECT count(*) FROM m WHERE regexp_replace(body, '(.)', '\1\1', 'g') LIKE '%长长城城%';
\echo doubled 讨论项目
SELECT count(*) FROM m WHERE regexp_replace(body, '(.)', '\1\1', 'g') LIKE '%讨讨论论项项目目%';
\echo trgm 讨论项目 (4 chars)
SELECT count(*) FROM m WHERE body ILIKE '%讨论项目%';
\echo bigram 讨论项目
SELECT count(*) FROM m WHERE bigrams(body) @> bigrams('讨论项目') AND body ILIKE '%讨论项目%';
\echo seq scan 长城 (no index)
SET enable_bitmapscan = off; SET enable_indexscan = off;
SELECT count(*) FROM m WHERE body ILIKE '%长城%';
RESET enable_bitmapscan; RESET enable_indexscan;
\timing off
EXPLAIN SELECT count(*) FROM m WHERE body ILIKE '%长城%';
DROP TABLE m; DROP FUNCTION bigrams(text);
