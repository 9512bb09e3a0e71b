#!/usr/bin/env bash
# The 2026-12-01 runs (issue 14): the send path with and without search's GIN indexes and
# with their maintenance settings, /metrics scraped every second or not, and search at 1M
# messages. Run from the repository root on a quiet machine: bash bench/results/2026-12-01/run.sh
set -euo pipefail
out=bench/results/2026-12-01
npm run build >/dev/null
run () { # run <name> <bench args...>
  local name=$1; shift
  { date -u +%FT%TZ; uptime; } >> "$out/$name.uptime"
  npm run --silent bench -- "$@" --no-build --json >> "$out/$name.jsonl" 2>> "$out/$name.log"
  uptime >> "$out/$name.uptime"
}
O2O=(one-to-one --rate 2000 --duration 20)
NOIDX=(--sql "DROP INDEX messages_search_en_idx" --sql "DROP INDEX messages_search_trgm_idx")
OFF=(--sql "ALTER INDEX messages_search_en_idx SET (fastupdate = off)" --sql "ALTER INDEX messages_search_trgm_idx SET (fastupdate = off)")
for i in 1 2 3; do
  run o2o-no-search-indexes "${O2O[@]}" "${NOIDX[@]}"
  run o2o-search-indexes "${O2O[@]}"
  run o2o-fastupdate-off "${O2O[@]}" "${OFF[@]}"
  run o2o-scrape-1s "${O2O[@]}" --scrape-metrics 1
done
run search-1m search --messages 1000000 --rate 200
# Issue 12: one channel of 5,000 connected members, 20 messages/s for 20 s, against the bare
# relay with the same fan-out in the same run; join and list p99 after it.
run channel channel --users 5000 --rate 20 --duration 20 --baseline
