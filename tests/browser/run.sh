#!/usr/bin/env bash
# Runs the browser end-to-end suite: builds and starts the host bridge (the Rust side that plays
# the native host app), runs every test in test/ with node's test runner against headless
# Debian Chromium, and stops the bridge whatever happens. Exits with node's status; node's
# closing summary ("ℹ pass N" / "ℹ fail N") is the suite's result.
#
#   tests/browser/setup.sh   # once per machine: chromium, chromium-driver, npm ci
#   tests/browser/run.sh     # [extra node --test arguments, e.g. --test-name-pattern=pkce]
#
# Screenshots, Chromium net logs, host event logs and bridge reports: tests/artifacts/browser/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if [ ! -d "$here/node_modules/playwright-core" ]; then
    echo "run.sh: playwright-core is missing; run tests/browser/setup.sh first" >&2
    exit 2
fi

cargo build --quiet -p obauth-e2e --bin host_bridge
target_dir="${CARGO_TARGET_DIR:-$root/target}"

work="$(mktemp -d)"
bridge_pid=""
cleanup() {
    if [ -n "$bridge_pid" ]; then
        kill "$bridge_pid" 2>/dev/null || true
        wait "$bridge_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$target_dir/debug/host_bridge" --ready-file "$work/bridge-url" >"$work/bridge.log" 2>&1 &
bridge_pid=$!
for _ in $(seq 1 100); do
    [ -s "$work/bridge-url" ] && break
    if ! kill -0 "$bridge_pid" 2>/dev/null; then
        echo "run.sh: the host bridge exited:" >&2
        cat "$work/bridge.log" >&2
        exit 1
    fi
    sleep 0.1
done
if [ ! -s "$work/bridge-url" ]; then
    echo "run.sh: the host bridge did not start within 10 s" >&2
    exit 1
fi
OBAUTH_BRIDGE_URL="$(cat "$work/bridge-url")"
export OBAUTH_BRIDGE_URL
echo "run.sh: host bridge at $OBAUTH_BRIDGE_URL"

cd "$here"
status=0
node --test --test-reporter=spec --test-concurrency=1 --test-timeout=60000 "$@" test/*.test.mjs \
    || status=$?
if [ "$status" -ne 0 ] && [ -s "$work/bridge.log" ]; then
    echo "--- host bridge output" >&2
    cat "$work/bridge.log" >&2
fi
exit "$status"
