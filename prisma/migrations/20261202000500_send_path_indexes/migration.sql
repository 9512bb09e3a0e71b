-- What every message insert pays for, cut to what is read (BENCHMARKS.md, 2026-12-01: the
-- send statement's database CPU per message by index, bench/send-statement.ts).

-- The substring (trigram) index covers only text holding a character of a script written
-- without spaces (Han, kana, Hangul, Thai): the queries that use it are the ones with such a
-- character (src/modules/search/no-space-chars.ts holds the same class and puts it in the
-- query, so the planner can prove this predicate). English and every spaced script is found
-- by words through messages_search_en_idx; indexing its doubled-character trigrams too was
-- about a third of the send statement's database CPU per message.
DROP INDEX "messages_search_trgm_idx";
-- CreateIndex
CREATE INDEX "messages_search_trgm_idx" ON "messages" USING gin ((regexp_replace("content" #>> '{}'::text[], '(.)', '\1\1', 'g')) gin_trgm_ops)
  WHERE "type" = 'text' AND "recalled_at" IS NULL AND ("content" #>> '{}'::text[]) ~ '[\u0E00-\u0E7F\u1100-\u11FF\u2E80-\u2FDF\u3000-\u303F\u3040-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uA960-\uA97F\uAC00-\uD7FF\uF900-\uFAFF\uFF65-\uFFDC\U00020000-\U0003134F]';

-- Pins are few: the list of a conversation's pins needs only the pinned rows indexed.
DROP INDEX "messages_conversation_id_pinned_at_idx";
-- CreateIndex
CREATE INDEX "messages_conversation_id_pinned_at_idx" ON "messages"("conversation_id", "pinned_at") WHERE "pinned_at" IS NOT NULL;
