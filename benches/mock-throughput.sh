#!/usr/bin/env bash
# The standalone mock against a bare hyper server that answers the same bytes
# (examples/bare_hyper.rs), side by side on this machine: requests a second and latency
# percentiles from wrk on loopback, rounds alternating between the two, and the ratio.
# Each round pairs the two (which goes first alternates), so each round gives a ratio; the
# median ratio is printed with the interval that holds it with 95% confidence
# (benches/median.sh: 20 rounds give a useful one).
# Run on demand: bash benches/mock-throughput.sh   (installs wrk from Debian if missing)
# BIN_DIR, ROUNDS (default 3), SECONDS_PER_ROUND (10), CONNECTIONS (32), MOCK_ARGS (extra mock
# flags), ORDER (alternate; fixed: bare first every round, as before the twelfth session).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/median.sh
. benches/median.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# BIN_DIR: binaries built elsewhere (e.g. an older commit's), else this tree's release build.
if [ -z "${BIN_DIR:-}" ]; then
  cargo build --release --locked -q --bin sms-conformance --example bare_hyper
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
rounds=${ROUNDS:-3}
seconds=${SECONDS_PER_ROUND:-10}
connections=${CONNECTIONS:-32}
mock_port=${MOCK_PORT:-18080}
bare_port=${BARE_PORT:-18081}
# shellcheck disable=SC2086
"$BIN_DIR/sms-conformance" mock --listen "127.0.0.1:$mock_port" ${MOCK_ARGS:-} >/dev/null 2>&1 &
mock_pid=$!
"$BIN_DIR/examples/bare_hyper" "127.0.0.1:$bare_port" >/dev/null &
bare_pid=$!
lua=$(mktemp)
trap 'kill $mock_pid $bare_pid 2>/dev/null; rm -f "$lua" "$lua.results" "$lua.out" "$lua.bare" "$lua.mock"' EXIT
sleep 0.5
token=$(awk '/name: token$/ {getline; print $2}' src/mock/default-fixture.yaml)
echo "wrk.headers[\"X-Auth-Token\"] = \"$token\"" > "$lua"
path=/v3/tasks/d7fa81b9-c174-4c0a-a475-51a54c8af8a4/passphrase
# The two answers must be the same bytes but for the request id and the date.
same() { curl -s -i -H "X-Auth-Token: $token" "http://127.0.0.1:$1$path" | grep -vi '^\(x-request-id\|date\):'; }
if [ "$(same "$mock_port")" != "$(same "$bare_port")" ]; then
  echo "the bare server does not answer what the mock answers:" >&2
  diff <(same "$mock_port") <(same "$bare_port") >&2 || true
  exit 1
fi
# CPU seconds (user + system) a process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# One wrk round against a port → "requests/s p50 p99 cpu-µs-per-request" (latencies in ms).
# The server's CPU time per request does not depend on what else the machine is running;
# requests/s does.
measure() {
  local before after
  before=$(cpu "$2")
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$lua" "http://127.0.0.1:$1$path" > "$lua.out"
  after=$(cpu "$2")
  awk -v cpu="$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    / requests in / { n = $1 } /Non-2xx/ { bad = $NF }
    END { if (bad) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 }
          printf "%d %.3f %.3f %.2f\n", rps, p50, p99, cpu * 1e6 / n }' "$lua.out"
}
measure "$bare_port" "$bare_pid" >/dev/null   # warm-up, both
measure "$mock_port" "$mock_pid" >/dev/null
printf "%-6s %-5s %12s %9s %9s %12s\n" round server "requests/s" "p50 ms" "p99 ms" "CPU µs/req"
for round in $(seq "$rounds"); do
  # Which goes first alternates (ORDER=fixed: bare first every round), so that a machine
  # that speeds up or slows down within a round favours neither; results are kept bare first.
  order="bare mock"
  if [ "${ORDER:-alternate}" = alternate ] && [ $((round % 2)) -eq 0 ]; then order="mock bare"; fi
  for server in $order; do
    if [ $server = mock ]; then port=$mock_port pid=$mock_pid; else port=$bare_port pid=$bare_pid; fi
    read -r rps p50 p99 cpu_per_request < <(measure "$port" "$pid")
    printf "%-6s %-5s %12s %9s %9s %12s\n" "$round" "$server" "$rps" "$p50" "$p99" "$cpu_per_request"
    echo "$server $rps $p99 $cpu_per_request" > "$lua.$server"
  done
  cat "$lua.bare" "$lua.mock" >> "$lua.results"
done
# A round's ratio: mock/bare requests a second, bare/mock CPU a request (higher is better).
ratios() { paste - - < "$lua.results" | awk -v column="$1" '{ print (column == 2 ? $6 / $2 : $4 / $8) }' | median_interval; }
read -r rps_median rps_low rps_high < <(ratios 2)
read -r cpu_median cpu_low cpu_high < <(ratios 4)
printf "per round, median: mock/bare requests/s %.3f (95%%: %.3f to %.3f); bare/mock CPU a request %.3f (95%%: %.3f to %.3f)\n" \
  "$rps_median" "$rps_low" "$rps_high" "$cpu_median" "$cpu_low" "$cpu_high"
awk '{ n[$1]++; r[$1] += $2; c[$1] += $4; if ($3 > p[$1]) p[$1] = $3 }
  END { printf "mean: bare %d req/s, mock %d req/s: mock/bare = %.3f; worst p99: bare %.3f ms, mock %.3f ms\n",
          r["bare"] / n["bare"], r["mock"] / n["mock"], (r["mock"] / n["mock"]) / (r["bare"] / n["bare"]), p["bare"], p["mock"]
        printf "server CPU per request: bare %.2f µs, mock %.2f µs: bare/mock = %.3f\n",
          c["bare"] / n["bare"], c["mock"] / n["mock"], (c["bare"] / n["bare"]) / (c["mock"] / n["mock"]) }' "$lua.results"
