#!/usr/bin/env bash
# The whole case suite against the embedded mock, process start included, in release.
# Run on demand: bash benches/suite.sh   (installs hyperfine from Debian if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
cargo build --release --locked -q
bin=target/release/sms-conformance
echo "passing run (embedded mock):"
hyperfine --warmup 3 --runs 30 -N "$bin"
# A failing run must cost no more than a passing one: the same suite against a fixture whose
# token is unknown to the cases' target (every token-bearing case fails).
fixture=$(mktemp)
trap 'rm -f "$fixture"' EXIT
cat > "$fixture" <<'YAML'
tasks:
  - {id: d7fa81b9-c174-4c0a-a475-51a54c8af8a4, passphrase: bench-passphrase}
tokens:
  - {name: token, value: bench-token-denied, permitted: false}
  - {name: forbidden_token, value: bench-token-other, permitted: false}
YAML
echo "failing run (embedded mock, token denied):"
hyperfine --warmup 3 --runs 30 -N -i "$bin --fixture $fixture"
