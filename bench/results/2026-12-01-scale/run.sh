#!/bin/sh
# Scale-out matrix: 1, 2, 4 nodes x classic / sharded (per-room emits up to 8 rooms) / sharded-multiroom
# (one multi-room emit, BENCH_SHARDED_PER_ROOM_MAX=0). One-to-one, 1000 users, 1000 msg/s, 15 s.
cd "$(dirname "$0")/../../.."
out=bench/results/2026-12-01-scale
for n in 1 2 4; do
  for a in classic sharded sharded-multiroom; do
    case $a in
      sharded-multiroom) env="--env REDIS_ADAPTER=sharded --env BENCH_SHARDED_PER_ROOM_MAX=0" ;;
      *) env="--env REDIS_ADAPTER=$a" ;;
    esac
    [ "$n" = 1 ] && [ "$a" = sharded-multiroom ] && continue
    name="one-to-one-n$n-$a"
    uptime > "$out/$name.uptime"
    npm run --silent bench -- one-to-one --nodes $n --rate 1000 --duration 15 --users 1000 $env --json > "$out/$name.json" 2> "$out/$name.log"
    uptime >> "$out/$name.uptime"
  done
done
