#!/usr/bin/env bash
# Kotlin binding tests on the desktop JVM: compiles the generated bindings + the dev.obauth
# layer + the tests with kotlinc, starts a sandbox (`obauth sandbox --port 0`), and runs the
# tests through JNA against the freshly built target/debug/libobauth_ffi.so.
#
# Expects bindings/scripts/setup.sh and generate.sh to have run (test-all.sh does both).
# Prints "Kotlin: N passed, M failed" last; exits non-zero on any failure.
# OBAUTH_KOTLIN_ONLY=substring runs only the tests whose name contains it.
# OBAUTH_FLAVOUR=platform runs every test against the platform-networking flavour of the library
# (target/flavours/platform, from `OBAUTH_FLAVOUR=platform generate.sh`), with HTTP through the
# JVM's HttpURLConnection (dev.obauth.HttpUrlConnectionTransport).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

KOTLIN_HOME="$ROOT/build/tools/node_modules/kotlin-compiler"
KOTLINC="$KOTLIN_HOME/bin/kotlinc"
LIB="$KOTLIN_HOME/lib"
JNA=/usr/share/java/jna.jar
# One output directory for both flavours: their generated Kotlin is the same API (same
# checksums), so the source hash below skips recompiling when only the flavour changes.
OUT="$ROOT/target/kotlin-test"
FLAVOUR="${OBAUTH_FLAVOUR:-default}"
if [[ "$FLAVOUR" == default ]]; then
    GENERATED="$ROOT/target/bindings/kotlin"
else
    GENERATED="$ROOT/target/bindings-$FLAVOUR/kotlin"
fi
# shellcheck source=lib/mobile-build.sh
source "$ROOT/bindings/scripts/lib/mobile-build.sh"
LIBRARY="$(obauth_host_library "$FLAVOUR")"
LIBDIR="$(dirname "$LIBRARY")"
for f in "$KOTLINC" "$JNA" "$LIB/kotlinx-coroutines-core-jvm.jar" "$GENERATED/dev/obauth/ffi/obauth_ffi.kt"; do
    [[ -e "$f" ]] || { echo "test-kotlin: missing $f (run bindings/scripts/test-all.sh)" >&2; exit 1; }
done

# The sandbox binary (the CLI) and the library the tests load: the same package set as
# generate.sh, so this is a no-op after it and the library is the one the bindings came from.
cargo build --quiet -p obauth-ffi -p obauth-uniffi-bindgen -p obauth-cli
[[ -f "$LIBRARY" ]] || { echo "test-kotlin: no $LIBRARY (run generate.sh with OBAUTH_FLAVOUR=$FLAVOUR)" >&2; exit 1; }

CP="$LIB/kotlin-stdlib.jar:$LIB/kotlinx-coroutines-core-jvm.jar:$JNA"
SOURCES=("$GENERATED" "$ROOT/bindings/kotlin/src" "$ROOT/bindings/kotlin/test")
STAMP="$OUT/sources.sha"
# Contents only (not paths): both flavours' generated sources hash alike.
HASH="$(find "${SOURCES[@]}" -name '*.kt' -print0 | sort -z | xargs -0 sha256sum | cut -d' ' -f1 | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$HASH" || ! -d "$OUT/classes" ]]; then
    echo "test-kotlin: compiling the bindings, the Kotlin layer and the tests"
    rm -rf "$OUT/classes"
    mkdir -p "$OUT/classes"
    # JAVA_OPTS: kotlinc is a JVM; keep it from sizing its heap by the machine's memory.
    JAVA_OPTS="${KOTLINC_JAVA_OPTS:--Xmx1g -Xss4m}" "$KOTLINC" -nowarn -no-reflect \
        -jvm-target 17 -cp "$CP" -d "$OUT/classes" "${SOURCES[@]}" 2>&1 \
        | { grep -v '^warning:' || true; }
    [[ -f "$OUT/classes/dev/obauth/test/MainKt.class" ]] || { echo "test-kotlin: compilation failed" >&2; exit 1; }
    echo "$HASH" >"$STAMP"
fi

# A sandbox on a random loopback port, and two relays (`obauth relay`) in front of it for the
# relay-mode tests (two instances serving one login alternately).
SANDBOX_LOG="$OUT/sandbox.log"
source "$ROOT/scripts/lib/sandbox.sh"
start_sandbox test-kotlin "$SANDBOX_LOG"
start_relay test-kotlin "$OUT/relay1.log"
RELAY1_URL="$RELAY_URL"
start_relay test-kotlin "$OUT/relay2.log"
RELAY2_URL="$RELAY_URL"

set +e
java -Xss4m -Djna.library.path="$LIBDIR" -Dobauth.sandbox="$SANDBOX_URL" -Dobauth.flavour="$FLAVOUR" \
    -Dobauth.relay="$RELAY1_URL" -Dobauth.relay2="$RELAY2_URL" \
    -Dobauth.relayLogs="$OUT/relay1.log:$OUT/relay2.log" -Dobauth.relayAppSecret="$RELAY_APP_SECRET" \
    -Dobauth.relayAudience="$RELAY_AUDIENCE" -Dobauth.relayKey="$RELAY_KEY" \
    ${OBAUTH_KOTLIN_ONLY:+-Dobauth.only="$OBAUTH_KOTLIN_ONLY"} \
    -cp "$OUT/classes:$CP" dev.obauth.test.MainKt
STATUS=$?
set -e
if [[ $STATUS -ne 0 ]]; then
    echo "test-kotlin: failed; the sandbox log is in $SANDBOX_LOG" >&2
fi
exit $STATUS
