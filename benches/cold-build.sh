#!/usr/bin/env bash
# A cold `cargo build --release` of each commit given (default: HEAD), one after the other,
# each from a clean copy and a clean target folder with CARGO_BUILD_JOBS=2; then the README's
# two commands (`cargo run --release`, `cargo test`) and the size of target/.
#
#   bash benches/cold-build.sh d34d3a4 HEAD    # before and after, back to back
#
# Each build's `cargo build --timings` report gives its longest units.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ $# -gt 0 ] || set -- HEAD
for commit in "$@"; do
  hash=$(git rev-parse --short "$commit")
  mkdir -p "$work/$hash"
  git archive "$hash" | tar -x -C "$work/$hash"
  echo "$hash: cold release build (load $(cut -d' ' -f1-3 /proc/loadavg))..." >&2
  start=$EPOCHREALTIME
  (cd "$work/$hash" && cargo build --release --locked --timings -q 2>/dev/null)
  build=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN {printf "%.0f", e - s}')
  echo "$hash: longest units:"
  python3 - "$work/$hash/target/cargo-timings/cargo-timing.html" <<'PY'
import json, re, sys
page = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", page, re.S).group(1))
for unit in sorted(units, key=lambda u: -u["duration"])[:6]:
    label = " ".join(part for part in (unit["name"], unit["version"], unit["target"].strip()) if part)
    print(f"  {label}: {unit['duration']:.0f} s")
PY
  (cd "$work/$hash" && cargo run --release --locked -q >/dev/null && cargo test --locked -q >/dev/null 2>&1)
  size=$(du -sh "$work/$hash/target" | cut -f1)
  echo "$hash: cold cargo build --release ${build} s; target/ after the two commands: $size"
done
