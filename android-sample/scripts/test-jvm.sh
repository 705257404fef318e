#!/usr/bin/env bash
# JVM tests of the Android sample's plain-Kotlin logic: compiles app/src/core/kotlin (no Android
# SDK) and jvm-test/ with the same kotlinc, jars and generated bindings as
# bindings/scripts/test-kotlin.sh, starts a sandbox (`obauth sandbox --port 0`), and runs the
# tests through JNA against target/debug/libobauth_ffi.so.
#
# Expects bindings/scripts/setup.sh and generate.sh to have run (bindings/scripts/test-all.sh
# does both); regenerates the bindings if the library is newer than them.
# Prints "Kotlin sample: N passed, M failed" last; exits non-zero on any failure.
# OBAUTH_SAMPLE_ONLY=substring runs only the tests whose name contains it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

# The same tools as bindings/scripts/test-kotlin.sh (kept in step with it by hand: that script
# is not ours to change).
KOTLIN_HOME="$ROOT/build/tools/node_modules/kotlin-compiler"
KOTLINC="$KOTLIN_HOME/bin/kotlinc"
LIB="$KOTLIN_HOME/lib"
JNA=/usr/share/java/jna.jar
GENERATED="$ROOT/target/bindings/kotlin"
GENERATED_KT="$GENERATED/dev/obauth/ffi/obauth_ffi.kt"
OUT="$ROOT/target/android-sample-jvm"
SAMPLE="$ROOT/android-sample"
CORE="$SAMPLE/app/src/core/kotlin"
TESTS="$SAMPLE/jvm-test/kotlin"
# App tokens and derived userHashes for the relay-mode tests (shared with the binding tests).
APP_TOKENS="$ROOT/bindings/kotlin/test/dev/obauth/testing/AppTokens.kt"
for f in "$KOTLINC" "$JNA" "$LIB/kotlinx-coroutines-core-jvm.jar" "$GENERATED_KT"; do
    [[ -e "$f" ]] || { echo "test-jvm: missing $f (run bindings/scripts/test-all.sh)" >&2; exit 1; }
done

# The plain-Kotlin logic must stay free of the Android SDK: that is what lets it run here.
if grep -rnE '^import (android|androidx)\.' "$CORE"; then
    echo "test-jvm: app/src/core/kotlin imports the Android SDK (move that code to app/src/main)" >&2
    exit 1
fi

# The sandbox binary and the library the tests load: the same package set as generate.sh and
# test-kotlin.sh, so this is a no-op after them.
cargo build --quiet -p obauth-ffi -p obauth-uniffi-bindgen -p obauth-cli
# shellcheck source=../../bindings/scripts/lib/mobile-build.sh
source "$ROOT/bindings/scripts/lib/mobile-build.sh"
SO="$(obauth_host_library default)"
[[ -f "$SO" ]] || { echo "test-jvm: no $SO" >&2; exit 1; }
if [[ "$SO" -nt "$GENERATED_KT" ]]; then
    # Bindings older than the library would fail UniFFI's checksum check at the first call.
    echo "test-jvm: the library is newer than the generated bindings; regenerating"
    "$ROOT/bindings/scripts/generate.sh"
fi

CP="$LIB/kotlin-stdlib.jar:$LIB/kotlinx-coroutines-core-jvm.jar:$JNA"
# JAVA_OPTS: kotlinc is a JVM; keep it from sizing its heap by the machine's memory.
KOTLINC_OPTS="${KOTLINC_JAVA_OPTS:--Xmx1g -Xss4m}"

hash_of() { find "$@" -name '*.kt' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1; }

# compile NAME CLASSPATH OUTDIR MARKER_CLASS UPSTREAM_STAMP SOURCES...: kotlinc, skipped when
# the sources and the upstream step's stamp (the classes on the classpath) are unchanged.
compile() {
    local name="$1" cp="$2" dir="$3" marker="$4" upstream="$5"
    shift 5
    local stamp="$dir.sha" hash
    hash="$(hash_of "$@")-$(cat "$upstream" 2>/dev/null || true)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" && -f "$dir/$marker" ]]; then
        return 0
    fi
    echo "test-jvm: compiling $name"
    rm -rf "$dir" "$stamp" && mkdir -p "$dir"
    JAVA_OPTS="$KOTLINC_OPTS" "$KOTLINC" -nowarn -no-reflect -jvm-target 17 -cp "$cp" -d "$dir" "$@" 2>&1 \
        | { grep -v '^warning:' || true; }
    [[ -f "$dir/$marker" ]] || { echo "test-jvm: compiling $name failed" >&2; exit 1; }
    echo "$hash" >"$stamp"
}

mkdir -p "$OUT"
# Two steps, so that editing the sample recompiles only the sample (the generated bindings are
# by far the largest file).
compile "the bindings and the Kotlin layer" "$CP" "$OUT/bindings-classes" \
    dev/obauth/ffi/ObAuthClient.class /dev/null "$GENERATED" "$ROOT/bindings/kotlin/src"
compile "the sample's logic and its tests" "$CP:$OUT/bindings-classes" "$OUT/classes" \
    dev/obauth/sample/test/MainKt.class "$OUT/bindings-classes.sha" "$CORE" "$TESTS" "$APP_TOKENS"

# A sandbox on a random loopback port, and the app's relay in front of it (relay mode is the
# sample's default).
SANDBOX_LOG="$OUT/sandbox.log"
source "$ROOT/scripts/lib/sandbox.sh"
start_sandbox test-jvm "$SANDBOX_LOG"
start_relay test-jvm "$OUT/relay.log"

set +e
java -Xss4m -Djna.library.path="$ROOT/target/debug" -Dobauth.sandbox="$SANDBOX_URL" \
    -Dobauth.relay="$RELAY_URL" -Dobauth.relayAppSecret="$RELAY_APP_SECRET" \
    -Dobauth.relayAudience="$RELAY_AUDIENCE" -Dobauth.relayKey="$RELAY_KEY" \
    ${OBAUTH_SAMPLE_ONLY:+-Dobauth.only="$OBAUTH_SAMPLE_ONLY"} \
    -cp "$OUT/classes:$OUT/bindings-classes:$CP" dev.obauth.sample.test.MainKt
STATUS=$?
set -e
if [[ $STATUS -ne 0 ]]; then
    echo "test-jvm: failed; the sandbox log is in $SANDBOX_LOG" >&2
fi
exit $STATUS
