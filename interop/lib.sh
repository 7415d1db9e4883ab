# Shared by interop/run-sdk and interop/run-schemathesis (sourced, not run): the venv, the
# binary, and a standalone mock on a free loopback port that is stopped when the script exits.
# The sourcing script sets `set -euo pipefail` and works from the repository's root.

venv=target/interop-venv
python=$venv/bin/python

# ensure_venv REQUIREMENTS...: creates target/interop-venv when missing and installs each
# hashed lock file into it, unless the same file (by sha256) was installed before.
ensure_venv() {
    if [[ ! -x $python ]]; then
        rm -rf "$venv"
        "${PYTHON:-python3}" -m venv "$venv"
    fi
    local requirements stamp sum
    for requirements in "$@"; do
        stamp=$venv/.installed-$(basename "$requirements")
        sum=$(sha256sum "$requirements" | cut -d' ' -f1)
        if [[ -f $stamp && $(<"$stamp") == "$sum" ]]; then
            continue
        fi
        "$python" -m pip install --quiet --disable-pip-version-check --require-hashes \
            --only-binary :all: -r "$requirements"
        echo "$sum" > "$stamp"
    done
}

# locate_binary [PATH]: prints the sms-conformance binary to use. Without a path it is
# target/release/sms-conformance (under $CARGO_TARGET_DIR when set), built with cargo when
# missing.
locate_binary() {
    local binary=${1:-}
    if [[ -z $binary ]]; then
        binary=${CARGO_TARGET_DIR:-target}/release/sms-conformance
        if [[ ! -x $binary ]]; then
            echo "building $binary (cargo build --release --locked)" >&2
            cargo build --release --locked >&2
        fi
    fi
    if [[ ! -x $binary ]]; then
        echo "error: no sms-conformance binary at $binary (build it: cargo build --release)" >&2
        return 2
    fi
    printf '%s\n' "$binary"
}

mock_pid=
mock_log=

stop_mock() {
    if [[ -n $mock_pid ]] && kill -0 "$mock_pid" 2>/dev/null; then
        kill -INT "$mock_pid" 2>/dev/null || true
        for _ in $(seq 30); do
            kill -0 "$mock_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    mock_pid=
    [[ -z $mock_log ]] || rm -f "$mock_log"
    mock_log=
}

# start_mock BINARY [FIXTURE]: starts `BINARY mock` on 127.0.0.1:0 (the system picks a free
# port), waits for its banner, and sets mock_url to the address it printed. The mock is
# stopped when the script exits, however it exits (an error, Ctrl-C, SIGTERM).
start_mock() {
    local binary=$1 fixture=${2:-}
    trap stop_mock EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mock_log=$(mktemp "${TMPDIR:-/tmp}/sms-mock.XXXXXX")
    if [[ -n $fixture ]]; then
        "$binary" mock --listen 127.0.0.1:0 --fixture "$fixture" > "$mock_log" 2>&1 &
    else
        "$binary" mock --listen 127.0.0.1:0 > "$mock_log" 2>&1 &
    fi
    mock_pid=$!
    mock_url=
    for _ in $(seq 100); do
        mock_url=$(sed -n 's|^sms-conformance mock listening on \(http://[^ ]*\)$|\1|p' "$mock_log")
        [[ -z $mock_url ]] || return 0
        if ! kill -0 "$mock_pid" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "error: the mock did not start (no banner within 10 s); its output:" >&2
    cat "$mock_log" >&2
    return 2
}
