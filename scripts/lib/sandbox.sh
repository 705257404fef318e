# Sourced by the binding test scripts (Kotlin, Swift, the samples): starts the sandbox that the
# tests talk to over real HTTP, and stops it when the calling script exits.
#
#   source "$ROOT/scripts/lib/sandbox.sh"
#   start_sandbox NAME LOGFILE     # sets SANDBOX_URL (the sandbox's base URL)
#
# The sandbox is `target/debug/obauth sandbox --port 0` (a random loopback port); its first
# stdout line is its base URL. Needs the CLI built (cargo build -p obauth-cli).

start_sandbox() {
    local name="$1" log="$2"
    local bin="$ROOT/target/debug/obauth"
    [[ -x "$bin" ]] || { echo "$name: no $bin (cargo build -p obauth-cli)" >&2; exit 1; }
    mkdir -p "$(dirname "$log")"
    coproc SANDBOX { exec "$bin" sandbox --port 0 2>"$log"; }
    SANDBOX_PID=$SANDBOX_PID
    trap 'kill "$SANDBOX_PID" 2>/dev/null || true; wait "$SANDBOX_PID" 2>/dev/null || true' EXIT
    if ! IFS= read -r -t 30 -u "${SANDBOX[0]}" SANDBOX_URL; then
        echo "$name: the sandbox did not start; its log:" >&2
        cat "$log" >&2
        exit 1
    fi
    echo "$name: sandbox at $SANDBOX_URL"
}
