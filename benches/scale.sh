#!/usr/bin/env bash
# How a run's time and memory grow with the number of cases: the suite's cases copied under
# a temporary cases folder, run against the embedded mock, wall time and peak memory taken by
# /usr/bin/time.
#
#   bash benches/scale.sh                    # the whole suite at 1x, 10x, 100x and 1000x
#   bash benches/scale.sh documents 100000   # 100,000 copies of the document cases, one run
#   bash benches/scale.sh requests 100000    # 100,000 copies of the request cases, one run
#
# Prints one row per run: cases, wall seconds, peak MiB, then microseconds and KiB per case
# above the 1x run (the slope: what one more case costs). BIN overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/sms-conformance}
[ -n "${BIN:-}" ] || cargo build --release --locked -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# make_cases DIR KIND COUNT: COUNT cases of KIND (documents, requests or suite) under DIR,
# copied round-robin from cases/.
make_cases() {
  local dir=$1 kind=$2 count=$3
  local sources=()
  case $kind in
    documents) mapfile -t sources < <(grep -rl '^document:' cases | sort) ;;
    requests) mapfile -t sources < <(grep -rl '^request:' cases | sort) ;;
    suite) mapfile -t sources < <(find cases -name '*.yaml' | sort) ;;
  esac
  rm -rf "$dir" && mkdir -p "$dir/batch"
  local i=0
  for source in "${sources[@]}"; do
    cp "$source" "$dir/batch/$i.yaml"
    i=$((i + 1))
  done
  # Whole copies of the batch, then what is left of the count from one more.
  local copies=$((count / ${#sources[@]})) rest=$((count % ${#sources[@]}))
  for ((copy = 1; copy < copies; copy++)); do cp -r "$dir/batch" "$dir/copy-$copy"; done
  if [ "$copies" -eq 0 ]; then rm -f "$dir"/batch/*.yaml; fi
  if [ "$rest" -gt 0 ]; then
    mkdir -p "$dir/rest"
    for ((i = 0; i < rest; i++)); do cp "${sources[$i]}" "$dir/rest/$i.yaml"; done
  fi
}

# measure DIR: "wall_seconds peak_kib" of one run over DIR's cases (its output discarded).
measure() {
  /usr/bin/time -f '%e %M %x' -o "$work/time" "$bin" --cases "$1" >"$work/out" 2>&1 || true
  read -r wall kib code < <(tail -n 1 "$work/time")
  if [ "$code" != 0 ]; then
    echo "the run over $1 exited with $code:" >&2
    tail -n 5 "$work/out" >&2
    exit 1
  fi
  echo "$wall $kib"
}

row() { # row CASES WALL KIB BASE_CASES BASE_WALL BASE_KIB
  awk -v n="$1" -v w="$2" -v k="$3" -v n0="$4" -v w0="$5" -v k0="$6" 'BEGIN {
    per_us = (n > n0) ? (w - w0) * 1e6 / (n - n0) : 0
    per_kib = (n > n0) ? (k - k0) / (n - n0) : 0
    printf "%9d cases  %8.3f s  %8.1f MiB  %8.1f us/case  %6.2f KiB/case\n", n, w, k / 1024, per_us, per_kib
  }'
}

if [ $# -ge 2 ]; then
  make_cases "$work/cases" "$1" "$2"
  make_cases "$work/base" "$1" 1
  read -r base_wall base_kib < <(measure "$work/base")
  read -r wall kib < <(measure "$work/cases")
  row "$2" "$wall" "$kib" 1 "$base_wall" "$base_kib"
  exit
fi
suite=$(find cases -name '*.yaml' | wc -l)
read -r base_wall base_kib < <(measure cases)
row "$suite" "$base_wall" "$base_kib" "$suite" "$base_wall" "$base_kib"
for factor in 10 100 1000; do
  make_cases "$work/cases" suite $((suite * factor))
  read -r wall kib < <(measure "$work/cases")
  row $((suite * factor)) "$wall" "$kib" "$suite" "$base_wall" "$base_kib"
done
