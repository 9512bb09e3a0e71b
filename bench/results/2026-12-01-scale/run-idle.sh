#!/bin/sh
# What a node pays for traffic that is not its users': 2 nodes with all the users (pairs split
# between them) and 2 idle nodes in the same cluster; one-to-one 1000 msg/s, 15 s.
cd "$(dirname "$0")/../../.."
out=bench/results/2026-12-01-scale
for a in classic sharded; do
  name="${PREFIX:-idle}-one-to-one-n2+2-$a"
  uptime > "$out/$name.uptime"
  npm run --silent bench -- one-to-one --nodes 2 --idle-nodes 2 --rate 1000 --duration 15 --users 1000 --nice=-10 --env REDIS_ADAPTER=$a --json > "$out/$name.json" 2> "$out/$name.log"
  uptime >> "$out/$name.uptime"
done
