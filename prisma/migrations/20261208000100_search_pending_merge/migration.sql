-- The search indexes' pending lists are merged off the send path (src/modules/search/index-merger.ts:
-- gin_clean_pending_list on its own connection every SEARCH_INDEX_MERGE_MS). The limit at which an
-- insert merges the list itself, inside a send's statement, goes from 4 MB (merged by one unlucky
-- send every few seconds at 2,000 msg/s: the send path's p99 tail, BENCHMARKS.md "Performance III")
-- to 16 MB, so a merger a few seconds late still leaves every send alone; without a merger running,
-- an insert still merges it at 16 MB and autovacuum cleans it as before.
ALTER INDEX "messages_search_en_idx" SET (gin_pending_list_limit = 16384);
ALTER INDEX "messages_search_trgm_idx" SET (gin_pending_list_limit = 16384);
