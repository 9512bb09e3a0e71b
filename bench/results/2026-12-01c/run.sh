#!/usr/bin/env bash
# The runs behind BENCHMARKS.md "Performance II (2026-12-01)": one after another on a quiet
# machine, each with its load average before and after. "before" is commit b92f2f3 built in
# a worktree (git worktree add /work/wt/before b92f2f3 && npm run build there), run by this
# harness through BENCH_SERVER_ROOT. Usage: bash bench/results/2026-12-01c/run.sh [names...]
set -u
cd "$(dirname "$0")/../../.."
OUT=bench/results/2026-12-01c
BEFORE=${BEFORE:-/work/wt/before}
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
want after-2000 && run after-2000 $B one-to-one --rate 2000 --duration 20 --runs 2
want before-2000 && BENCH_SERVER_ROOT=$BEFORE run before-2000 $B one-to-one --rate 2000 --duration 20 --runs 2
want after-max && run after-max $B one-to-one --find-max --baseline --ceiling --rate 2000 --step 1.25 --duration 10
want before-max && BENCH_SERVER_ROOT=$BEFORE run before-max $B one-to-one --find-max --rate 2500 --step 1.25 --duration 10
want after-storm && run after-storm $B reconnect-storm --users 5000
want after-history && run after-history $B history --messages 1000000 --rate 100
want scale-1 && run scale-1 $B one-to-one --nodes 1 --rate 1000 --duration 15
want scale-2 && run scale-2 $B one-to-one --nodes 2 --rate 1000 --duration 15
want scale-4 && run scale-4 $B one-to-one --nodes 4 --rate 1000 --duration 15
want scale-4-classic && run scale-4-classic $B one-to-one --nodes 4 --rate 1000 --duration 15 --env REDIS_ADAPTER=classic
want pglite-max && run pglite-max $B one-to-one --db pglite --find-max --rate 1000 --step 1.25 --duration 10
want pglite-2000-600s && run pglite-2000-600s $B one-to-one --db pglite --rate 2000 --duration 600
