#!/bin/sh
# The same matrix under --nice=-10 (the machine was shared: load 12-17 during run.sh), plus group
# (50 members, 20 msg/s = 980 deliveries/s) at 1 and 4 nodes.
cd "$(dirname "$0")/../../.."
out=bench/results/2026-12-01-scale
for n in 1 2 4; do
  for a in classic sharded; do
    name="niced-one-to-one-n$n-$a"
    uptime > "$out/$name.uptime"
    npm run --silent bench -- one-to-one --nodes $n --rate 1000 --duration 15 --users 1000 --nice=-10 --env REDIS_ADAPTER=$a --json > "$out/$name.json" 2> "$out/$name.log"
    uptime >> "$out/$name.uptime"
  done
done
for n in 1 4; do
  for a in classic sharded; do
    name="niced-group-n$n-$a"
    uptime > "$out/$name.uptime"
    npm run --silent bench -- group --nodes $n --rate 20 --duration 15 --users 1000 --group-size 50 --nice=-10 --env REDIS_ADAPTER=$a --json > "$out/$name.json" 2> "$out/$name.log"
    uptime >> "$out/$name.uptime"
  done
done
