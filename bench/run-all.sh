#!/usr/bin/env bash
# Runs the measurements behind BENCHMARKS.md, one JSON line per run in bench/results/<name>.jsonl
# (with the load average before and after each run in bench/results/<name>.uptime).
#   bash bench/run-all.sh [runs=1] [only-these-names...]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}; shift || true
only=("$@")
out=${BENCH_OUT:-bench/results}
mkdir -p "$out"

bench () { # bench <name> <args...>
  local name=$1; shift
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " =~ " $name " ]]; then return; fi
  for i in $(seq 1 "$runs"); do
    echo "== $name run $i: $*" >&2
    echo "$(date -u +%FT%TZ) before $name: $(uptime)" >> "$out/$name.uptime"
    npm run -s bench -- "$@" --json >> "$out/$name.jsonl" 2>> "$out/$name.log" || echo "$name run $i failed (see $out/$name.log)" >&2
    echo "$(date -u +%FT%TZ) after $name: $(uptime)" >> "$out/$name.uptime"
  done
}

bench one-to-one-max     one-to-one --find-max --baseline --rate 1000 --step 1.5 --duration 10 --drain 5
bench one-to-one-2000    one-to-one --rate 2000 --duration 20
bench connections        connections --users 10000 --baseline --duration 10
bench reconnect-storm    reconnect-storm --users 5000
bench reconnect-storm-kill reconnect-storm --users 5000 --restart kill
bench history            history --messages 1000000 --rate 100 --duration 20
bench group              group --rate 20 --duration 20 --baseline
bench one-to-one-pglite  one-to-one --db pglite --find-max --rate 200 --step 1.5 --duration 10 --drain 5
