#!/usr/bin/env bash
# The migration benchmark of docs/benchmarks.md: on a generated tight fleet,
# `plan` gives the target B; the current placement A is B with every 20th
# replica (5%) moved to another server (the one 997 places further in
# servers.csv, so A may break guarantees or limits, like a drifted fleet);
# then `migrate --current A --target B` is timed: alone, with
# --allow-temporary, and with --max-parallel 32.
#
#   bench/migrate.sh             # tight1k and tight10k
#   bench/migrate.sh tight1k     # one fleet
set -euo pipefail
cd "$(dirname "$0")/.."
fleets=("$@")
[ ${#fleets[@]} -gt 0 ] || fleets=(tight1k tight10k)
dir=${BENCH_DIR:-/tmp/faultplan-bench}
target=${CARGO_TARGET_DIR:-target}
mkdir -p "$dir"
cargo build --release --quiet --bin faultplan --example genfleet
bin="$target/release/faultplan"
gen="$target/release/examples/genfleet"
for name in "${fleets[@]}"; do
  case $name in
    tight1k) sizes=(--servers 1000 --services 100) t=0.6 ;;
    tight10k) sizes=(--servers 10000 --services 500) t=0.5 ;;
    *) echo "bench/migrate.sh: unknown fleet \"$name\" (tight1k tight10k)" >&2; exit 2 ;;
  esac
  fleet="$dir/$name"
  "$gen" "${sizes[@]}" --tightness "$t" --seed 1 --out "$fleet" 2> /dev/null
  "$bin" plan "$fleet" --out "$dir/$name-target.csv" --format json > /dev/null
  python3 - "$fleet/servers.csv" "$dir/$name-target.csv" "$dir/$name-current.csv" <<'PY'
import csv, sys
servers = [row["id"] for row in csv.DictReader(open(sys.argv[1]))]
at = {s: i for i, s in enumerate(servers)}
rows = list(csv.DictReader(open(sys.argv[2])))
with open(sys.argv[3], "w", newline="") as out:
    w = csv.writer(out)
    w.writerow(["service", "server"])
    for i, row in enumerate(rows):
        server = row["server"]
        if i % 20 == 0:
            server = servers[(at[server] + 997) % len(servers)]
        w.writerow([row["service"], server])
PY
  replicas=$(($(wc -l < "$dir/$name-target.csv") - 1))
  for extra in "" --allow-temporary "--max-parallel 32"; do
    start=$EPOCHREALTIME
    rc=0
    # shellcheck disable=SC2086 # $extra is zero or more words
    "$bin" migrate "$fleet" --current "$dir/$name-current.csv" --target "$dir/$name-target.csv" \
      $extra --format json > "$dir/$name-migrate.json" || rc=$?
    seconds=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.2f", e - s }')
    summary=$(jq -r 'if .status == "safe" then "\(.waves | length) waves, \(.changes) changes (\([.waves[][] | select(.temporary)] | length) temporary), \(.checks) placements checked" else "blocked (proven: \(.proven)), \(.blocked | length) changes left, \(.checks) placements checked" end' "$dir/$name-migrate.json")
    echo "$name: $replicas replicas, migrate ${extra:+$extra }exit $rc in $seconds s: $summary"
  done
done
