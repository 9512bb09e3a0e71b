#!/usr/bin/env bash
# PGlite named statements (src/db/pglite-statements.ts), before and after in one quiet window
# (2026-12-01 11:08-11:24 UTC). "before" is commit 84bc93c (PGlite's unnamed query for every
# statement), "generic" is commit 7e61cfc (named statements, the send statement under
# plan_cache_mode=force_generic_plan; not kept), each built in a worktree
# (git worktree add --detach /work/wt/before84 84bc93c && npm run build there) and run by this
# harness through BENCH_SERVER_ROOT; "after" is this checkout.
# Usage: bash bench/results/2026-12-01d/run.sh [names...]
set -u
cd "$(dirname "$0")/../../.."
OUT=bench/results/2026-12-01d
BEFORE=${BEFORE:-/work/wt/before84}
GENERIC=${GENERIC:-/work/wt/generic}
run () {
  local name=$1; shift
  echo "== $name: $*" >&2
  { echo "start $(date -u +%T) $(cat /proc/loadavg)"; } > "$OUT/$name.uptime"
  "$@" --json > "$OUT/$name.jsonl" 2> "$OUT/$name.log"
  { echo "end   $(date -u +%T) $(cat /proc/loadavg)"; } >> "$OUT/$name.uptime"
}
want () { [ $# -eq 0 ] || [[ " $WANT " == *" $1 "* ]]; }
WANT="${*:-}"
B="npm run --silent bench --"
for rate in 500 1000 2000; do
  want after-$rate && run after-$rate $B one-to-one --db pglite --rate $rate --duration 20 --runs 2
  want generic-$rate && BENCH_SERVER_ROOT=$GENERIC run generic-$rate $B one-to-one --db pglite --rate $rate --duration 20 --runs 2
  want before-$rate && BENCH_SERVER_ROOT=$BEFORE run before-$rate $B one-to-one --db pglite --rate $rate --duration 20 --runs 2
done
want after-max && run after-max $B one-to-one --db pglite --find-max --rate 2000 --step 1.25 --duration 10
want generic-max && BENCH_SERVER_ROOT=$GENERIC run generic-max $B one-to-one --db pglite --find-max --rate 2000 --step 1.25 --duration 10
want before-max && BENCH_SERVER_ROOT=$BEFORE run before-max $B one-to-one --db pglite --find-max --rate 2000 --step 1.25 --duration 10
