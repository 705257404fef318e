# Sourced by the binding test scripts (Kotlin, Swift, the samples): starts the sandbox that the
# tests talk to over real HTTP, and relays (`obauth relay`) in front of it, and stops them all
# when the calling script exits.
#
#   source "$ROOT/scripts/lib/sandbox.sh"
#   start_sandbox NAME LOGFILE       # sets SANDBOX_URL (the sandbox's base URL)
#   start_relay NAME LOGFILE         # sets RELAY_URL (a relay in front of SANDBOX_URL)
#
# The sandbox is `target/debug/obauth sandbox --port 0` (a random loopback port); its first
# stdout line is its base URL. Needs the CLI built (cargo build -p obauth-cli).
#
# A relay holds the sandbox's partner credentials and the test relay key, verifies HS256 app
# tokens signed with RELAY_APP_SECRET (audience RELAY_AUDIENCE) and allows the redirects the
# tests use. Start it twice for two instances serving the same logins (same key, no shared
# state). The values below are fixed test values, exported so the tests can mint app tokens;
# nothing here is a real secret.

RELAY_APP_SECRET="${RELAY_APP_SECRET:-obauth-test-app-token-secret-0123456789abcdef}"
RELAY_AUDIENCE="${RELAY_AUDIENCE:-obauth-tests}"
RELAY_KEY="${RELAY_KEY:-obauth-test-relay-key-0123456789abcdef-0123456789}"
RELAY_ALLOWED_REDIRECTS=(
    "https://app.example.com/aiia/callback"
    "https://app.example.com/aiia-callback/*"
    "com.example.obauth:/callback"
    "com.example.obauthsample:/callback"
    "obauth-demo:/callback"
)
export RELAY_APP_SECRET RELAY_AUDIENCE RELAY_KEY

# Every process started here; killed (and reaped) when the sourcing script exits.
OBAUTH_BACKGROUND_PIDS=()
_obauth_stop_background() {
    local pid
    for pid in "${OBAUTH_BACKGROUND_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${OBAUTH_BACKGROUND_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap _obauth_stop_background EXIT

_obauth_bin() {
    local bin="$ROOT/target/debug/obauth"
    [[ -x "$bin" ]] || { echo "$1: no $bin (cargo build -p obauth-cli)" >&2; exit 1; }
    echo "$bin"
}

# _obauth_first_line NAME WHAT OUTFILE LOGFILE PID: waits (30 s at most) for the first stdout
# line of a started server and prints it.
_obauth_first_line() {
    local name="$1" what="$2" out="$3" log="$4" pid="$5" line="" i
    for ((i = 0; i < 300; i++)); do
        if [[ -s "$out" ]] && IFS= read -r line <"$out" && [[ -n "$line" ]]; then
            echo "$line"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "$name: the $what did not start; its log:" >&2
    cat "$log" >&2
    exit 1
}

start_sandbox() {
    local name="$1" log="$2" bin
    bin="$(_obauth_bin "$name")"
    mkdir -p "$(dirname "$log")"
    : >"$log.url" # a previous run's URL must not be read before the new server truncates it
    "$bin" sandbox --port 0 >"$log.url" 2>"$log" &
    SANDBOX_PID=$!
    OBAUTH_BACKGROUND_PIDS+=("$SANDBOX_PID")
    SANDBOX_URL="$(_obauth_first_line "$name" sandbox "$log.url" "$log" "$SANDBOX_PID")" || exit 1
    echo "$name: sandbox at $SANDBOX_URL"
}

start_relay() {
    local name="$1" log="$2" bin allow=() redirect
    bin="$(_obauth_bin "$name")"
    [[ -n "${SANDBOX_URL:-}" ]] || { echo "$name: start_sandbox before start_relay" >&2; exit 1; }
    for redirect in "${RELAY_ALLOWED_REDIRECTS[@]}"; do
        allow+=(--allow-redirect "$redirect")
    done
    mkdir -p "$(dirname "$log")"
    : >"$log.url"
    OBAUTH_CLIENT_ID=sandbox-client-id OBAUTH_CLIENT_SECRET=sandbox-client-secret \
        OBAUTH_RELAY_KEY="$RELAY_KEY" OBAUTH_TEST_APP_SECRET="$RELAY_APP_SECRET" \
        OBAUTH_LOG="${RELAY_LOG_LEVEL:-debug}" \
        "$bin" relay --listen 127.0.0.1:0 --upstream "$SANDBOX_URL" \
        --jwt-hs256-secret-env OBAUTH_TEST_APP_SECRET --jwt-audience "$RELAY_AUDIENCE" \
        "${allow[@]}" >"$log.url" 2>"$log" &
    RELAY_PID=$!
    OBAUTH_BACKGROUND_PIDS+=("$RELAY_PID")
    RELAY_URL="$(_obauth_first_line "$name" relay "$log.url" "$log" "$RELAY_PID")" || exit 1
    echo "$name: relay at $RELAY_URL (log $log)"
}
