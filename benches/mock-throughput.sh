#!/usr/bin/env bash
# The standalone mock under load: requests a second (wrk on loopback) and its resident memory
# before, during and after over a million requests.
# Run on demand: bash benches/mock-throughput.sh   (installs wrk from Debian if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked -q
port=${PORT:-18080}
target/release/sms-conformance mock --listen "127.0.0.1:$port" >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
sleep 0.5
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }
lua=$(mktemp)
token=$(awk '/name: token$/ {getline; print $2}' src/mock/default-fixture.yaml)
cat > "$lua" <<LUA
wrk.headers["X-Auth-Token"] = "$token"
LUA
url="http://127.0.0.1:$port/v3/tasks/d7fa81b9-c174-4c0a-a475-51a54c8af8a4/passphrase"
echo "RSS at start: $(rss)"
wrk -t2 -c32 -d5s -s "$lua" "$url" | sed -n '/Requests\/sec/p'
echo "RSS after warm-up: $(rss)"
for round in 1 2 3 4; do
  wrk -t2 -c32 -d10s -s "$lua" "$url" | sed -n '/requests in/p;/Requests\/sec/p'
  echo "RSS after round $round: $(rss)"
done
rm -f "$lua"
