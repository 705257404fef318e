#!/usr/bin/env bash
# Swift tests on Linux with the Swift toolchain, against the real library and a live sandbox:
#
#   1. the Swift package at the repository root (Package.swift): the generated UniFFI bindings
#      (module ObAuthFFI), the hand-written layer (module ObAuth) and its XCTest suite
#      (bindings/swift/Tests/ObAuthTests, the README quick starts included);
#   2. the iOS sample's platform-independent logic (ios-sample/Package.swift: sign-in
#      controller, state -> screen mapping, restore policy, storage wrapper, configuration) and
#      its XCTest suite; the SwiftUI / WebKit / Keychain glue is Apple-only.
#
# Both compile in the Swift 6 language mode with warnings as errors, link
# target/debug/libobauth_ffi.so (the library the bindings were generated from) and run against
# one sandbox (`obauth sandbox --port 0`), whose URL the tests read from OBAUTH_SANDBOX_URL.
#
# Expects bindings/scripts/generate.sh to have run (test-all.sh runs it first).
# Prints "Swift: N passed, M failed" last; exits non-zero on any failure or if no test ran.
# OBAUTH_SWIFT_FILTER=REGEX runs only the matching tests (swift test --filter);
# OBAUTH_SWIFT_PACKAGES="bindings ios-sample" (the default) picks the packages.
# OBAUTH_FLAVOUR=platform runs the suite against the platform-networking flavour of the library
# (no HTTP client inside; every request through URLSessionTransport, which the tests install):
# it generates that flavour (generate.sh) and tests the bindings package only by default.
# Both flavours link the copy in target/swift/lib, so switching relinks nothing but that file.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

SWIFT="${SWIFT:-swift}"
if ! command -v "$SWIFT" >/dev/null 2>&1; then
    echo "test-swift: ERROR: no Swift toolchain on PATH (swift); the Swift suites cannot run" >&2
    exit 1
fi
OUT="$ROOT/target/swift"
FLAVOUR="${OBAUTH_FLAVOUR:-default}"
export OBAUTH_FLAVOUR="$FLAVOUR"
LIBDIR="$OUT/lib"
GENERATED="$ROOT/bindings/swift/Sources/ObAuthFFI/ObAuthFFI.swift"
HEADER="$ROOT/bindings/swift/Sources/ObAuthFFIFFI/ObAuthFFIFFI.h"
PROTOCOL_HEADER="$ROOT/bindings/swift/Sources/ObAuthFFIFFI/ObAuthProtocolFFI.h"

# The sandbox binary and the library: the same package set as generate.sh (a no-op after it).
cargo build --quiet -p obauth-ffi -p obauth-uniffi-bindgen -p obauth-cli
# shellcheck source=lib/mobile-build.sh
source "$ROOT/bindings/scripts/lib/mobile-build.sh"
SO="$(obauth_host_library "$FLAVOUR")"
if [[ "$FLAVOUR" != default ]]; then
    # Always (re)generated: the in-tree bindings are the last generate.sh run's (a no-op build
    # when fresh; the files are rewritten only when they differ).
    "$ROOT/bindings/scripts/generate.sh"
fi
[[ -f "$SO" ]] || { echo "test-swift: no $SO" >&2; exit 1; }
if [[ ! -f "$GENERATED" || ! -f "$HEADER" || ! -f "$PROTOCOL_HEADER" || "$SO" -nt "$GENERATED" ]]; then
    # Bindings older than the library would fail UniFFI's checksum check at the first call.
    echo "test-swift: generating the bindings from the current library"
    "$ROOT/bindings/scripts/generate.sh"
fi

mkdir -p "$LIBDIR"
cmp -s "$SO" "$LIBDIR/libobauth_ffi.so" || cp "$SO" "$LIBDIR/libobauth_ffi.so"
echo "test-swift: flavour $FLAVOUR ($SO)"

# Link the shared library (not the static one beside it) and find it at run time.
LINK=(-Xlinker -L"$LIBDIR" -Xlinker -rpath -Xlinker "$LIBDIR" -Xswiftc -warnings-as-errors)

mkdir -p "$OUT"
source "$ROOT/scripts/lib/sandbox.sh"
start_sandbox test-swift "$OUT/sandbox.log"
export OBAUTH_SANDBOX_URL="$SANDBOX_URL"
# Two relays in front of it for the relay-mode tests, and their app tokens minted here
# (Foundation on Linux has no HMAC): OBAUTH_RELAY_URLS, OBAUTH_RELAY_LOGS, OBAUTH_RELAY_TOKENS.
start_relay test-swift "$OUT/relay1.log"
OBAUTH_RELAY_URLS="$RELAY_URL"
start_relay test-swift "$OUT/relay2.log"
OBAUTH_RELAY_URLS="$OBAUTH_RELAY_URLS $RELAY_URL"
OBAUTH_RELAY_LOGS="$OUT/relay1.log $OUT/relay2.log"
OBAUTH_RELAY_TOKENS="$(python3 "$ROOT/scripts/lib/mint_app_tokens.py" \
    sw-poll sw-redirect sw-expired sw-rejected sw-alice sw-bob sw-two-sessions sw-allowlist \
    sw-user-hash sw-two-instances sw-secret sw-quickstart sw-unattended sw-connect sw-connect-allowlist sample-relay-poll sample-relay-refused)"
export OBAUTH_RELAY_URLS OBAUTH_RELAY_LOGS OBAUTH_RELAY_TOKENS

passed=0
failed=0
status=0
# run_package NAME DIR: builds and tests one package; adds its counts.
run_package() {
    local name="$1" dir="$2" log="$OUT/$1.log" scratch="$OUT/$1"
    if [[ ! -f "$dir/Package.swift" ]]; then
        echo "test-swift: ERROR: $dir/Package.swift is missing" >&2
        failed=$((failed + 1))
        status=1
        return 0
    fi
    echo "test-swift: building $name ($dir)"
    if ! "$SWIFT" build --package-path "$dir" --scratch-path "$scratch" --build-tests "${LINK[@]}" \
        >"$log" 2>&1; then
        grep -E 'error|warning' "$log" >&2 || cat "$log" >&2
        echo "test-swift: $name does not compile (log: $log)" >&2
        failed=$((failed + 1))
        status=1
        return 0
    fi
    echo "test-swift: testing $name"
    set +e
    # A hung test must fail the run, not stall CI: the suite is bounded as a whole.
    timeout --kill-after=10 "${OBAUTH_SWIFT_TIMEOUT:-600}" \
        "$SWIFT" test --package-path "$dir" --scratch-path "$scratch" --skip-build "${LINK[@]}" \
        ${OBAUTH_SWIFT_FILTER:+--filter "$OBAUTH_SWIFT_FILTER"} 2>&1 | tee "$log.test" \
        | grep -E "^Test Case .*(passed|failed)|error:|^ *Executed [0-9]+ tests?, with" \
        | grep -vE "^ *Executed" 
    local rc=${PIPESTATUS[0]}
    set -e
    local p f
    p=$(grep -cE "^Test Case '.*' passed" "$log.test" || true)
    f=$(grep -cE "^Test Case '.*' failed" "$log.test" || true)
    passed=$((passed + p))
    failed=$((failed + f))
    if [[ $rc -ne 0 ]]; then
        status=1
        if [[ $f -eq 0 ]]; then
            # Crashed or timed out without a failed test case: count it as a failure.
            echo "test-swift: $name exited $rc (crash or time-out); log: $log.test" >&2
            tail -20 "$log.test" >&2
            failed=$((failed + 1))
        fi
    fi
    echo "test-swift: $name: $p passed, $f failed"
}

DEFAULT_PACKAGES="bindings ios-sample"
[[ "$FLAVOUR" == default ]] || DEFAULT_PACKAGES="bindings"
for package in ${OBAUTH_SWIFT_PACKAGES:-$DEFAULT_PACKAGES}; do
    case "$package" in
        bindings) run_package bindings "$ROOT" ;;
        ios-sample) run_package ios-sample "$ROOT/ios-sample" ;;
        *) echo "test-swift: unknown package $package" >&2; exit 2 ;;
    esac
done

[[ $passed -gt 0 ]] || status=1
echo "Swift: $passed passed, $failed failed"
exit $status
