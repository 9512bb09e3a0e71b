#!/usr/bin/env bash
# Second batch of 2026-12-01 (after run.sh): the channel at a fan-out the 2 cores carry
# (1,000 members), and the GIN pending list made larger (so inserting backends flush it
# less often; autovacuum cleans it in the background).
set -euo pipefail
out=bench/results/2026-12-01
run () {
  local name=$1; shift
  { date -u +%FT%TZ; uptime; } >> "$out/$name.uptime"
  npm run --silent bench -- "$@" --no-build --json >> "$out/$name.jsonl" 2>> "$out/$name.log"
  uptime >> "$out/$name.uptime"
}
run channel-1000 channel --users 1000 --rate 20 --duration 20 --baseline
O2O=(one-to-one --rate 2000 --duration 20)
BIG=(--sql "ALTER INDEX messages_search_en_idx SET (gin_pending_list_limit = 65536)" --sql "ALTER INDEX messages_search_trgm_idx SET (gin_pending_list_limit = 65536)")
for i in 1 2; do
  run o2o-pending-64mb "${O2O[@]}" "${BIG[@]}"
  run o2o-search-indexes "${O2O[@]}"
done
