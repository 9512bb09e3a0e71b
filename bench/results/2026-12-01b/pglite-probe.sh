#!/usr/bin/env bash
# bash bench/results/2026-12-01b/pglite-probe.sh (from the repository root, after npm run build) <label> <dir-or-fresh> [ENV=V...] : start server, wait healthz, report rss/metrics after 3 s
label=$1; src=$2; shift 2
d=/tmp/pgl/run-$$; rm -rf $d; mkdir -p $d
if [ "$src" != fresh ]; then cp -r $src $d/pglite; fi
port=$((40000 + RANDOM % 10000))
t0=$(date +%s%N)
env -i PATH=$PATH NODE_ENV=production HOST=127.0.0.1 PORT=$port LOG_LEVEL=warn JWT_SECRET=$(printf 'x%.0s' {1..40}) DATA_DIR=$d PGLITE_DIR=$d/pglite "$@" node dist/src/server.js > $d/log 2>&1 &
pid=$!
until curl -sf http://127.0.0.1:$port/healthz >/dev/null; do sleep 0.1; if ! kill -0 $pid 2>/dev/null; then cat $d/log; exit 1; fi; done
t1=$(date +%s%N)
sleep 3
rss=$(awk '/VmRSS/{print int($2/1024)}' /proc/$pid/status)
cpu=$(awk '{print ($14+$15)/100}' /proc/$pid/stat)
m=$(curl -s http://127.0.0.1:$port/metrics | awk '/^nodejs_heap_size_used_bytes |^nodejs_external_memory_bytes |^nodejs_heap_size_total_bytes /{printf "%s=%d ", $1, $2/1048576}')
echo "$label ready $(( (t1-t0)/1000000 )) ms rss $rss MB cpu ${cpu}s $m $(grep 'pglite open' $d/log)"
kill $pid; wait $pid 2>/dev/null
if [ -n "$KEEP" ]; then rm -rf $KEEP; mv $d/pglite $KEEP; fi
rm -rf $d
