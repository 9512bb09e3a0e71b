-- Message search (PROTOCOL-v2 section 5): text messages only, by their current text
-- (content is the JSON string; an edit rewrites it, so old text is never indexed).
-- Recalled messages have content NULL and drop out of both indexes by the predicate.
-- Expression indexes cannot be written in schema.prisma; schema.prisma lists them in a
-- `raw-index:` comment that test/db/schema-shape.ts reads.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- English words: stemming, websearch syntax (to_tsvector ... @@ websearch_to_tsquery).
-- CreateIndex
CREATE INDEX "messages_search_en_idx" ON "messages" USING gin (to_tsvector('english'::regconfig, "content" #>> '{}'::text[]))
  WHERE "type" = 'text' AND "recalled_at" IS NULL;

-- Substrings (Chinese and other scripts without spaces): LIKE/ILIKE through trigrams of the
-- text with every character doubled ("北京" -> "北北京京"). A 2-character query, the most
-- common in Chinese, has no trigram of its own, so a plain trigram index can only scan all
-- of itself; doubled, it has two ("北北京", "北京京"), and "x北京y" contains the doubled
-- pattern exactly when it contains the pattern. Measured against a plain trigram index and a
-- bigram array index in docs/protocol.md (message search).
-- CreateIndex
CREATE INDEX "messages_search_trgm_idx" ON "messages" USING gin ((regexp_replace("content" #>> '{}'::text[], '(.)', '\1\1', 'g')) gin_trgm_ops)
  WHERE "type" = 'text' AND "recalled_at" IS NULL;
