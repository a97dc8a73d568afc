#!/usr/bin/env bash
# The benchmark of docs/benchmarks.md: generated fleets of several sizes, timed
# `check`, `scenarios` and `plan` on each (wall-clock seconds, peak memory).
#
#   bench/run.sh                 # tiny small medium huge
#   bench/run.sh small medium    # some sizes only
#   FEATURES=cbc bench/run.sh    # with another solver backend
#
# Fleets are written to $BENCH_DIR (default /tmp/faultplan-bench); the same
# preset and seed always give the same files.
set -euo pipefail
cd "$(dirname "$0")/.."

presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(tiny small medium huge)
dir=${BENCH_DIR:-/tmp/faultplan-bench}
features=${FEATURES:+--features $FEATURES}
target=${CARGO_TARGET_DIR:-target}

cargo build --release --quiet $features --bin faultplan --example genfleet
bin="$target/release/faultplan"

# Prints "seconds peak-MB" of a command (peak memory needs GNU time, else "-"),
# its output kept in $dir/last.out.
measure() {
  local start=$EPOCHREALTIME mb="-"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$dir/mem" "$@" > "$dir/last.out" 2>&1 || true
    mb=$(( $(tail -n 1 "$dir/mem") / 1024 ))
  else
    "$@" > "$dir/last.out" 2>&1 || true
  fi
  awk -v s="$start" -v e="$EPOCHREALTIME" -v mb="$mb" 'BEGIN { printf "%.2f %s", e - s, mb }'
}

mkdir -p "$dir"
printf "| fleet | servers | services | check s (MB) | scenarios s (MB) | plan s (MB) | plan result |\n"
printf "|---|---|---|---|---|---|---|\n"
for preset in "${presets[@]}"; do
  fleet="$dir/$preset"
  "$target/release/examples/genfleet" --preset "$preset" --placement --out "$fleet" 2> /dev/null
  servers=$(($(wc -l < "$fleet/servers.csv") - 1))
  services=$(grep -c '^\[\[service\]\]' "$fleet/services.toml")
  read -r check_s check_mb <<< "$(measure "$bin" check "$fleet" --placement "$fleet/placement.csv" --format json)"
  read -r scen_s scen_mb <<< "$(measure "$bin" scenarios "$fleet" --format json)"
  read -r plan_s plan_mb <<< "$(measure "$bin" plan "$fleet" --out "$dir/$preset-plan.csv")"
  result=$(grep -E '^Objective|^Against' "$dir/last.out" | tr '\n' ' ' | sed 's/|/\//g')
  printf "| %s | %s | %s | %s (%s) | %s (%s) | %s (%s) | %s |\n" \
    "$preset" "$servers" "$services" "$check_s" "$check_mb" "$scen_s" "$scen_mb" "$plan_s" "$plan_mb" "${result:-$(tail -n 1 "$dir/last.out")}"
done
