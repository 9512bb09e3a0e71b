#!/usr/bin/env bash
# After run.sh: history before/after pair, the adaptive group commit (a second statement only
# once 16 sends wait; worktree ADAPT), and the send statement's backend cost by batch size.
set -u
cd "$(dirname "$0")/../../.."
OUT=bench/results/2026-12-01c
BEFORE=${BEFORE:-/work/wt/before}
ADAPT=${ADAPT:-/work/wt/adapt}
run () {
  local name=$1; shift
  echo "== $name: $*" >&2
  { echo "start $(date -u +%T) $(cat /proc/loadavg)"; } > "$OUT/$name.uptime"
  "$@" > "$OUT/$name.jsonl" 2> "$OUT/$name.log"
  { echo "end   $(date -u +%T) $(cat /proc/loadavg)"; } >> "$OUT/$name.uptime"
}
want () { [ -z "$WANT" ] || [[ " $WANT " == *" $1 "* ]]; }
WANT="${*:-}"
B="npm run --silent bench --"
want before-history && BENCH_SERVER_ROOT=$BEFORE run before-history $B history --messages 1000000 --rate 100 --json
want adapt-2000 && BENCH_SERVER_ROOT=$ADAPT run adapt-2000 $B one-to-one --rate 2000 --duration 20 --runs 2 --json
want adapt-max && BENCH_SERVER_ROOT=$ADAPT run adapt-max $B one-to-one --find-max --rate 3906 --step 1.25 --duration 10 --json
want statement && run statement npx tsx bench/send-statement.ts --batches 1,4,16,64 --messages 4000 --json
want statement-custom && run statement-custom npx tsx bench/send-statement.ts --batches 1,4,16,64 --messages 4000 --custom-plans --json
want after-group && run after-group $B group --rate 20 --ceiling --baseline --json
want before-group && BENCH_SERVER_ROOT=$BEFORE run before-group $B group --rate 20 --json
want after-connections && run after-connections $B connections --users 10000 --json
want before-connections && BENCH_SERVER_ROOT=$BEFORE run before-connections $B connections --users 10000 --json
