#!/usr/bin/env bash
# User-space instructions a request costs the standalone mock and the bare hyper server that
# answers the same bytes (examples/bare_hyper.rs), counted by callgrind: unlike requests/s,
# the count does not depend on what else the machine runs, so it shows what a change to the
# host buys. Kernel work (the same for both, about 2/3 of their CPU time) is not counted.
# Run on demand: bash benches/mock-instructions.sh   (installs wrk and valgrind from Debian if
# missing). BIN_DIR: binaries built elsewhere (e.g. an older commit's).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
if [ -z "${BIN_DIR:-}" ]; then
  cargo build --release --locked -q --bin sms-conformance --example bare_hyper
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
port=${PORT:-18082}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
token=$(awk '/name: token$/ {getline; print $2}' src/mock/default-fixture.yaml)
echo "wrk.headers[\"X-Auth-Token\"] = \"$token\"" > "$out/token.lua"
url="http://127.0.0.1:$port/v3/tasks/d7fa81b9-c174-4c0a-a475-51a54c8af8a4/passphrase"
# Instructions of a run of "$@" under callgrind that serves wrk for $1 seconds (0: none),
# stopped by SIGTERM; prints "instructions requests".
run() {
  local seconds=$1 pid requests=0
  shift
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$@" >/dev/null 2>&1 &
  pid=$!
  sleep 5 # callgrind starts slowly
  if [ "$seconds" -gt 0 ]; then
    requests=$(wrk -t1 -c4 -d"${seconds}s" -s "$out/token.lua" "$url" | awk '/requests in/ {print $1}')
  fi
  kill -TERM "$pid"
  wait "$pid" || true
  echo "$(awk '/^(summary|totals):/ {print $2; exit}' "$out/cg") $requests"
}
per_request() {
  local idle busy
  idle=$(run 0 "$@")
  busy=$(run 10 "$@")
  awk -v i="${idle% *}" -v b="${busy% *}" -v n="${busy#* }" 'BEGIN { printf "%d %d\n", (b - i) / n, n }'
}
read -r bare bare_n < <(per_request "$BIN_DIR/examples/bare_hyper" "127.0.0.1:$port")
read -r mock mock_n < <(per_request "$BIN_DIR/sms-conformance" mock --listen "127.0.0.1:$port")
echo "bare hyper: $bare instructions a request ($bare_n requests)"
echo "mock:       $mock instructions a request ($mock_n requests)"
awk -v b="$bare" -v m="$mock" 'BEGIN { printf "mock - bare: %d instructions a request (mock/bare %.2f)\n", m - b, m / b }'
