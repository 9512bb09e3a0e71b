#!/usr/bin/env bash
# Issue 15, "embedded mode bounded": PGlite one-to-one runs with the server's memory timeline.
# Usage: bash bench/results/2026-12-01b/pglite-run.sh <name> <bench args...>
set -euo pipefail
out=bench/results/2026-12-01b
name=$1; shift
{ date -u +%FT%TZ; uptime; } >> "$out/pglite-$name.uptime"
npm run --silent bench -- "$@" --json >> "$out/pglite-$name.jsonl" 2>> "$out/pglite-$name.log"
uptime >> "$out/pglite-$name.uptime"
