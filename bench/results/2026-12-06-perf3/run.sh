#!/usr/bin/env bash
# Issue 29, 2026-12-06: the send path's tail before (798536f, built in $BEFORE) and after (this
# checkout's build), alternating, in one session; each line's JSON goes to results.jsonl with the
# load average before and after it. Usage: bash bench/results/2026-12-06-perf3/run.sh [filter]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=bench/results/2026-12-06-perf3
BEFORE=${BEFORE:-/tmp/perf-before}
want () { [ -z "${1:-}" ] || [ -z "${FILTER:-}" ] || [[ "$1" == *"$FILTER"* ]]; }
FILTER=${1:-}
run () { # run <label> <server root or ''> <bench args...>
  local label=$1 root=$2; shift 2
  want "$label" || return 0
  echo "== $label $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a $OUT/run.log
  if [ -n "$root" ]; then export BENCH_SERVER_ROOT=$root; else unset BENCH_SERVER_ROOT; fi
  local json
  json=$(npx tsx bench/run.ts "$@" --no-build --json 2>>$OUT/run.log | tail -n1)
  echo "{\"label\":\"$label\",\"loadAfter\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"result\":${json:-null}}" >> $OUT/results.jsonl
  echo "   $(echo "$json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const r=JSON.parse(s);console.log(`p50 ${r.deliveryP50Ms ?? r.ackP50Ms} p99 ${r.deliveryP99Ms ?? r.ackP99Ms} max ${r.deliveryMaxMs ?? r.ackMaxMs} cpu ${r.serverCpuPct}% db ${r.dbCpuPct}% ms/msg ${r.serverCpuMsPerMsg}/${r.dbCpuMsPerMsg} rss ${r.serverRssMb} lost ${r.lost} pass ${r.pass}`)}catch{console.log("no result")}})')" | tee -a $OUT/run.log
}
PG="one-to-one --db postgres --rate 2000 --users 100 --duration 20"
LITE="one-to-one --db pglite --rate 1000 --users 100 --duration 20"
NOIDX=(--sql "DROP INDEX messages_search_en_idx" --sql "DROP INDEX messages_search_trgm_idx")
# bench:compare (the top table) runs the headline before/after pairs; these are the extras:
# the same build without the search indexes (the goal: within 5 %), the timelines, the control
# text, and the V8 young generation's size on PGlite (RSS goal 400 MB).
run "pg-after-1" "" $PG
run "pg-after-noindex-1" "" $PG "${NOIDX[@]}"
run "pg-after-2" "" $PG
run "pg-after-noindex-2" "" $PG "${NOIDX[@]}"
run "pg-before-timeline" "$BEFORE" $PG --timeline
run "pg-after-timeline" "" $PG --timeline
run "pg-before-fixed" "$BEFORE" $PG --content fixed
run "pg-after-fixed" "" $PG --content fixed
run "lite-after" "" $LITE
run "lite-after-semi8" "" $LITE --env NODE_OPTIONS=--max-semi-space-size=8
run "lite-after-semi4" "" $LITE --env NODE_OPTIONS=--max-semi-space-size=4
run "lite-after-noindex" "" $LITE "${NOIDX[@]}"
