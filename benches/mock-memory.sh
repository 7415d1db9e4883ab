#!/usr/bin/env bash
# The standalone mock's resident memory before, during and after rounds of 10,000 concurrent
# connections (wrk on loopback): does it come back to the idle baseline once the load is gone?
# Run on demand: bash benches/mock-memory.sh   (installs wrk from Debian if missing)
# BIN_DIR, ROUNDS (default 3), CONNECTIONS (10000), MOCK_ARGS (extra mock flags), MOCK_ENV (e.g.
# MALLOC_ARENA_MAX=2, to compare allocator settings).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# BIN_DIR: binaries built elsewhere (e.g. an older commit's), else this tree's release build.
if [ -z "${BIN_DIR:-}" ]; then
  cargo build --release --locked -q --bin sms-conformance
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
rounds=${ROUNDS:-3}
connections=${CONNECTIONS:-10000}
port=${MOCK_PORT:-18080}
# wrk needs a descriptor a connection; so does the mock.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -le $((connections + 100)) ]; then
  echo "the descriptor limit $(ulimit -n) is too low for $connections connections" >&2
  exit 1
fi
# shellcheck disable=SC2086
env ${MOCK_ENV:-} "$BIN_DIR/sms-conformance" mock --listen "127.0.0.1:$port" ${MOCK_ARGS:-} >/dev/null 2>&1 &
pid=$!
lua=$(mktemp)
trap 'kill $pid 2>/dev/null; rm -f "$lua"' EXIT
sleep 0.5
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
token=$(awk '/name: token$/ {getline; print $2}' src/mock/default-fixture.yaml)
echo "wrk.headers[\"X-Auth-Token\"] = \"$token\"" > "$lua"
url="http://127.0.0.1:$port/v3/tasks/d7fa81b9-c174-4c0a-a475-51a54c8af8a4/passphrase"
wrk -t1 -c4 -d1s -s "$lua" "$url" >/dev/null
idle=$(kib VmRSS)
echo "idle (after a 1 s warm-up at 4 connections): RSS $(mb "$idle") MB"
for round in $(seq "$rounds"); do
  summary=$(wrk -t2 -c"$connections" -d10s --timeout 10s -s "$lua" "$url")
  during=$(kib VmRSS)
  sleep 2
  after2=$(kib VmRSS)
  sleep 8
  after10=$(kib VmRSS)
  printf "round %s: %s requests, %s; RSS at the end %s MB, 2 s later %s MB, 10 s later %s MB (%.2f× idle), peak %s MB\n" \
    "$round" "$(awk '/requests in/ {print $1}' <<< "$summary")" \
    "$(awk '/Socket errors/ {sub(/^ +/, ""); print} /Non-2xx/ {sub(/^ +/, ""); print}' <<< "$summary" | paste -sd';' | sed 's/^$/no errors/')" \
    "$(mb "$during")" "$(mb "$after2")" "$(mb "$after10")" "$(awk -v a="$after10" -v i="$idle" 'BEGIN {print a / i}')" \
    "$(mb "$(kib VmHWM)")"
done
