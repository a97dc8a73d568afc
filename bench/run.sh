#!/usr/bin/env bash
# The benchmark of docs/benchmarks.md: generated fleets of several sizes, timed
# `check`, `scenarios` and `plan` on each (wall-clock seconds, peak memory);
# on the tight fleets (`genfleet --tightness`), `plan` against the simple
# greedy spread, the generator's witness and an exact MILP (HiGHS).
#
#   bench/run.sh                  # tiny small medium huge hard80 tight1k tight10k
#   bench/run.sh hard80           # the hard small fleets (genfleet --preset incident)
#   bench/run.sh small medium     # some fleets only
#   bench/run.sh tight1k --large  # --large adds tight100k, region200k and region1m
#                                 # (100,000, 200,000 and 1,000,000 servers)
#   FEATURES=highs bench/run.sh   # `plan` with the HiGHS backend
#   TIME_LIMIT=60 bench/run.sh tight1k   # seconds for plan and exact (default 60)
#   LARGE_TIME_LIMIT=600 bench/run.sh --large  # plan's seconds on the --large fleets (default 600)
#   EXACT_START=1 bench/run.sh tight1k   # exact starts from the generator's witness
#
# Fleets are written to $BENCH_DIR (default /tmp/faultplan-bench); the same
# fleet name always gives the same files (fixed seeds).
set -euo pipefail
cd "$(dirname "$0")/.."

fleets=()
for arg in "$@"; do
  case $arg in
    --large) fleets+=(tight100k region200k region1m) ;;
    tiny | small | medium | huge | hard80 | tight1k | tight10k | tight100k | region200k | region1m) fleets+=("$arg") ;;
    *) echo "bench/run.sh: unknown fleet \"$arg\" (tiny small medium huge hard80 tight1k tight10k tight100k region200k region1m, --large)" >&2; exit 2 ;;
  esac
done
[ ${#fleets[@]} -gt 0 ] && [ "$*" != "--large" ] || fleets=(tiny small medium huge hard80 tight1k tight10k "${fleets[@]}")
dir=${BENCH_DIR:-/tmp/faultplan-bench}
features=${FEATURES:+--features $FEATURES}
limit=${TIME_LIMIT:-60}
large_limit=${LARGE_TIME_LIMIT:-600}
target=${CARGO_TARGET_DIR:-target}

cargo build --release --quiet $features --bin faultplan --example genfleet
bin="$target/release/faultplan"
gen="$target/release/examples/genfleet"
exact=""
if [[ " ${fleets[*]} " == *" tight"* || " ${fleets[*]} " == *" hard80 "* ]]; then
  # The exact comparator needs HiGHS (cmake, libclang-dev); without it the
  # rows say so instead of failing.
  if cargo build --release --quiet --features highs --example exact; then
    exact="$target/release/examples/exact"
  else
    echo "bench/run.sh: the exact comparator did not build (needs --features highs); its columns are left out" >&2
  fi
fi

# Runs a command with stdout in $dir/last.out and stderr in $dir/last.err and
# prints "seconds peak-MB exit-code" (peak memory needs GNU time, else "-").
measure() {
  local start=$EPOCHREALTIME mb="-" rc=0
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$dir/mem" "$@" > "$dir/last.out" 2> "$dir/last.err" || rc=$?
    mb=$(( $(tail -n 1 "$dir/mem") / 1024 ))
  else
    "$@" > "$dir/last.out" 2> "$dir/last.err" || rc=$?
  fi
  awk -v s="$start" -v e="$EPOCHREALTIME" -v mb="$mb" -v rc="$rc" 'BEGIN { printf "%.2f %s %s", e - s, mb, rc }'
}

# Errors `check` finds in a placement ("-" when it could not run).
check_errors() {
  local errors
  errors=$("$bin" check "$1" --placement "$2" --format json 2> /dev/null | jq -r '.summary.errors' 2> /dev/null) || true
  echo "${errors:--}"
}

# One line about plan's outcome from its --format json output (or its error).
plan_result() {
  local rc=$1
  # Slurped, so that an empty output (plan failed before printing) is not "true".
  if jq -es '.[0].feasible == true' "$dir/last.out" > /dev/null 2>&1; then
    jq -r 'def r: . * 100 | round / 100; .stats as $s | "\(if .verified then "verified" else "NOT verified" end) (\([$s.stage, $s.method, $s.solver] | map(select(. != null)) | join(", "))): reserved cpu \($s.reserved_cpu | r), objective \($s.value | r), bound \($s.bound | r), gap \($s.gap * 100 | r)%\(if $s.optimal then ", optimal" else "" end); its greedy spread: \(if $s.baseline == null then "could not place every service" else "\($s.baseline.reserved_cpu | r) cpu, \(if $s.baseline.verified then "passes" else "fails" end) check" end)"' "$dir/last.out"
  elif jq -es '.[0].feasible == false' "$dir/last.out" > /dev/null 2>&1; then
    jq -r '"exit \(.status // "1"): infeasible: \([.causes[]?.message] | first // "no cause given")"' "$dir/last.out" | sed "s/^exit 1:/exit $rc:/"
  else
    echo "exit $rc: $( (cat "$dir/last.out" "$dir/last.err") | grep -v '^\s*$' | tail -n 1)"
  fi
}

mkdir -p "$dir"
loose=()
tight=()
for fleet in "${fleets[@]}"; do
  case $fleet in
    tight* | region*) tight+=("$fleet") ;;
    # The seeds (and T) of `genfleet --preset incident` that main's plan did
    # not prove optimal in a few seconds (docs/benchmarks.md, "Hard small fleets").
    hard80) tight+=(hard80-0.6-8 hard80-0.6-41 hard80-0.9-23 hard80-0.9-32 hard80-0.9-58) ;;
    *) loose+=("$fleet") ;;
  esac
done

if [ ${#loose[@]} -gt 0 ]; then
  printf "| fleet | servers | services | check s (MB) | scenarios s (MB) | plan s (MB) | plan result |\n"
  printf "|---|---|---|---|---|---|---|\n"
fi
for preset in "${loose[@]}"; do
  fleet="$dir/$preset"
  "$gen" --preset "$preset" --placement --out "$fleet" 2> /dev/null
  servers=$(($(wc -l < "$fleet/servers.csv") - 1))
  services=$(grep -c '^\[\[service\]\]' "$fleet/services.toml")
  read -r check_s check_mb _ <<< "$(measure "$bin" check "$fleet" --placement "$fleet/placement.csv" --format json)"
  read -r scen_s scen_mb _ <<< "$(measure "$bin" scenarios "$fleet" --format json)"
  read -r plan_s plan_mb _ <<< "$(measure "$bin" plan "$fleet" --out "$dir/$preset-plan.csv")"
  result=$(grep -E '^Objective|^Against' "$dir/last.out" | tr '\n' ' ' | sed 's/|/\//g')
  printf "| %s | %s | %s | %s (%s) | %s (%s) | %s (%s) | %s |\n" \
    "$preset" "$servers" "$services" "$check_s" "$check_mb" "$scen_s" "$scen_mb" "$plan_s" "$plan_mb" \
    "${result:-$(cat "$dir/last.out" "$dir/last.err" | tail -n 1)}"
done

if [ ${#tight[@]} -gt 0 ]; then
  [ ${#loose[@]} -eq 0 ] || echo
  printf "Tight fleets (genfleet --tightness T --seed 1; hard80-T-S: --preset incident --tightness T --seed S), plan and exact with --time-limit %s (plan on tight100k and region*: %s):\n\n" "$limit" "$large_limit"
  printf "| fleet | servers | services | T | greedy spread: check errors | witness: check errors | plan s (MB) | plan result | exact s (MB) | exact result | exact: check errors |\n"
  printf "|---|---|---|---|---|---|---|---|---|---|---|\n"
fi
for name in "${tight[@]}"; do
  case $name in
    tight1k) sizes=(--servers 1000 --services 100) t=0.6 ;;
    tight10k) sizes=(--servers 10000 --services 500) t=0.5 ;;
    tight100k) sizes=(--servers 100000 --racks 2500 --datacenters 10 --services 3000) t=0.4 ;;
    hard80-*) t=${name#hard80-} seed=${t#*-} t=${t%-*} sizes=(--preset incident) ;;
    region200k) sizes=(--preset region200k) t=0.3 ;;
    region1m) sizes=(--preset region) t=0.3 ;;
  esac
  case $name in hard80-*) ;; *) seed=1 ;; esac
  # The per-server model is too large for the exact comparator past tight10k.
  large=""
  case $name in tight100k | region*) large=1 ;; esac
  plan_limit=$limit
  [ -z "$large" ] || plan_limit=$large_limit
  fleet="$dir/$name"
  "$gen" "${sizes[@]}" --tightness "$t" --seed "$seed" --placement --baseline-placement "$dir/$name-greedy.csv" \
    --out "$fleet" 2> "$dir/$name-genfleet.log" || true
  servers=$(($(wc -l < "$fleet/servers.csv") - 1))
  services=$(grep -c '^\[\[service\]\]' "$fleet/services.toml")
  greedy=$(check_errors "$fleet" "$dir/$name-greedy.csv")
  witness=$(check_errors "$fleet" "$fleet/placement.csv")
  read -r plan_s plan_mb plan_rc <<< "$(measure "$bin" plan "$fleet" --out "$dir/$name-plan.csv" \
    --json "$dir/$name-plan.json" --time-limit "$plan_limit" --format json)"
  plan=$(plan_result "$plan_rc" | sed 's/|/\//g')
  exact_s="-" exact_mb="-" exact_result="not run" exact_errors="-"
  if [ -n "$exact" ] && [ -z "$large" ]; then
    rm -f "$dir/$name-exact.csv"
    exact_start=()
    [ -z "${EXACT_START:-}" ] || exact_start=(--start "$fleet/placement.csv")
    read -r exact_s exact_mb exact_rc <<< "$(measure "$exact" "$fleet" --out "$dir/$name-exact.csv" \
      --time-limit "$limit" "${exact_start[@]}")"
    exact_result=$(grep '^exact:' "$dir/last.out" | sed -E 's/^exact: //; s/; [0-9]+ variables.*in all//; s/; wrote .*//; s/\|/\//g')
    [ -n "$exact_result" ] || exact_result="exit $exact_rc: $(tail -n 1 "$dir/last.err")"
    [ ! -f "$dir/$name-exact.csv" ] || exact_errors=$(check_errors "$fleet" "$dir/$name-exact.csv")
  elif [ -n "$large" ]; then
    exact_result="not run: the per-server model is too large"
  fi
  printf "| %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s (%s) | %s | %s |\n" \
    "$name" "$servers" "$services" "$t" "$greedy" "$witness" "$plan_s" "$plan_mb" "$plan" \
    "$exact_s" "$exact_mb" "$exact_result" "$exact_errors"
done
