#!/usr/bin/env bash
# Every speed figure of the project in one table: start-up against `--help`, the per-case
# cost and memory of document and request cases (benches/scale.sh), the per-case micro
# benchmarks (benches/per_case.rs, divan), and the standalone mock (benches/mock-*.sh).
#
#   bash benches/speed.sh           # all of it (builds what it needs; a few minutes)
#   QUICK=1 bash benches/speed.sh   # start-up and 10,000-case slopes only
#   BIN=/path/to/sms-conformance QUICK=1 bash benches/speed.sh   # another build, same table
#
# The machine is shared, so start-up is given as RATIOS of paired runs: the two commands
# alternate (A B A B ...), each pair gives a ratio, and the median ratio is printed; a slow
# spell of the machine slows both sides of a pair alike. hyperfine gives the absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
# perf (Debian's linux-perf) gives the CPU-time rows; without it they are left out.
bin=${BIN:-target/release/sms-conformance}
[ -n "${BIN:-}" ] || cargo build --release --locked -q
pairs=${PAIRS:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A fixture whose tokens the mock denies: every token-bearing case fails.
cat > "$work/denied.yaml" <<'YAML'
tasks:
  - {id: d7fa81b9-c174-4c0a-a475-51a54c8af8a4, passphrase: bench-passphrase}
tokens:
  - {name: token, value: bench-token-denied, permitted: false}
  - {name: forbidden_token, value: bench-token-other, permitted: false}
YAML

# shellcheck source=benches/median.sh
. benches/median.sh

# medians FILE: the median of each of FILE's three columns ("A_ms B_ms ratio" a line), then
# the ratios that bound the median ratio with 95% confidence (see median.sh).
medians() {
  local a b
  a=$(cut -d' ' -f1 "$1" | median_interval | cut -d' ' -f1)
  b=$(cut -d' ' -f2 "$1" | median_interval | cut -d' ' -f1)
  echo "$a $b $(cut -d' ' -f3 "$1" | median_interval)"
}

# paired A B: "median_A_ms median_B_ms median_ratio" over $pairs pairs, after 3 warm-ups.
paired() {
  local a=$1 b=$2 i start mid end
  for i in 1 2 3; do $a >/dev/null 2>&1 || true; $b >/dev/null 2>&1 || true; done
  : >"$work/pairs"
  for ((i = 0; i < pairs; i++)); do
    start=$EPOCHREALTIME
    $a >/dev/null 2>&1 || true
    mid=$EPOCHREALTIME
    $b >/dev/null 2>&1 || true
    end=$EPOCHREALTIME
    echo "$start $mid $end" >>"$work/pairs"
  done
  awk '{a = $2 - $1; b = $3 - $2; print a * 1000, b * 1000, a / b}' "$work/pairs" >"$work/ms"
  medians "$work/ms"
}

# cpu_paired A B: "median_A_ms median_B_ms median_ratio" of CPU time (perf stat task-clock,
# all threads), over $pairs pairs: unlike wall time, it does not count waiting for a core.
cpu_paired() {
  local a=$1 b=$2 i
  : >"$work/cpu"
  for ((i = 0; i < pairs; i++)); do
    perf stat -x, -e task-clock -o "$work/perf-a" -- $a >/dev/null 2>&1 || true
    perf stat -x, -e task-clock -o "$work/perf-b" -- $b >/dev/null 2>&1 || true
    echo "$(grep task-clock "$work/perf-a" | cut -d, -f1) $(grep task-clock "$work/perf-b" | cut -d, -f1)" >>"$work/cpu"
  done
  awk '{print $1, $2, $1 / $2}' "$work/cpu" >"$work/ms"
  medians "$work/ms"
}

suite=$(find cases -name '*.yaml' | wc -l)
contract=$(find cases/contract -name "*.yaml" | wc -l)
rows=()
row() { rows+=("$(printf '| %s | %s | %s |' "$1" "$2" "$3")"); }

echo "start-up: $pairs pairs each..." >&2
# Wall time, then CPU time when perf can read it: the same two pairs each.
measures=(paired:wall)
perf stat -e task-clock true >/dev/null 2>&1 && measures+=(cpu_paired:"CPU time")
for measure in "${measures[@]}"; do
  how=${measure%%:*} what=${measure#*:}
  read -r run help ratio low high < <($how "$bin" "$bin --help")
  row "$suite-case embedded run / \`--help\` ($what, paired; target < 3x)" \
    "$(printf '%.2fx (95%%: %.2fx to %.2fx)' "$ratio" "$low" "$high")" \
    "$(printf '%.1f ms / %.1f ms (medians)' "$run" "$help")"
  read -r docs help ratio low high < <($how "$bin contract/" "$bin --help")
  row "$contract document cases (\`contract/\`) / \`--help\` ($what, paired)" \
    "$(printf '%.2fx (95%%: %.2fx to %.2fx)' "$ratio" "$low" "$high")" \
    "$(printf '%.1f ms / %.1f ms' "$docs" "$help")"
done
read -r failing passing ratio low high < <(paired "$bin --fixture $work/denied.yaml" "$bin")
row "failing run (token denied) / passing run" \
  "$(printf '%.2fx (95%%: %.2fx to %.2fx)' "$ratio" "$low" "$high")" \
  "$(printf '%.1f ms / %.1f ms' "$failing" "$passing")"

echo "start-up: hyperfine..." >&2
hyperfine -N --warmup 3 --runs 30 --export-csv "$work/hyperfine.csv" \
  "$bin --help" "$bin" "$bin contract/" >/dev/null 2>&1
while IFS=, read -r command mean stddev _; do
  [ "$command" = command ] && continue
  row "hyperfine: \`${command#target/release/}\`" \
    "$(awk -v m="$mean" -v s="$stddev" 'BEGIN {printf "%.1f ms ± %.1f", m * 1000, s * 1000}')" \
    "30 runs, mean ± σ"
done <"$work/hyperfine.csv"

count=${QUICK:+10000}
count=${count:-100000}
for kind in documents requests; do
  echo "scale: $count $kind..." >&2
  line=$(BIN=$bin bash benches/scale.sh "$kind" "$count")
  read -r n _ wall _ mib _ us _ kib _ <<<"$line"
  row "$n $kind cases: wall, peak memory" "$wall s, $mib MiB" "benches/scale.sh $kind $count"
  row "one more $kind case (slope above one case)" "$us µs, $kib KiB" "same run"
done

printf '\n| figure | measured | how |\n|---|---|---|\n'
printf '%s\n' "${rows[@]}"
echo
# A guest kernel that packs threads onto few vCPUs (README, Performance) runs a short run's
# threads one after another: said beside the figures it shapes.
packing=$(cat /proc/sys/kernel/sched_vcpu_pack 2>/dev/null || true)
echo "$(date -u +%F), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)${packing:+, sched_vcpu_pack $packing}"

[ -n "${QUICK:-}" ] && exit
echo
echo "per-case micro benchmarks (cargo bench --bench per_case):"
cargo bench --locked -q --bench per_case
# The standalone mock's throughput and memory: its own scripts, when present.
for script in benches/mock-*.sh; do
  [ -e "$script" ] || continue
  echo
  echo "$script:"
  bash "$script"
done
