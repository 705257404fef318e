#!/usr/bin/env bash
# Builds the FFI library (debug) and generates the Kotlin and Swift bindings from it in library
# mode, with the workspace's own uniffi-bindgen and the names in the root uniffi.toml.
#
#   bindings/scripts/generate.sh            # -> target/bindings/{kotlin,swift}
#   PROFILE=release bindings/scripts/generate.sh
#   OBAUTH_FLAVOUR=platform bindings/scripts/generate.sh   # -> target/bindings-platform/...
#
# OBAUTH_FLAVOUR picks the library's flavour: `default` (reqwest over rustls inside) or
# `platform` (no HTTP client or TLS stack; the host's HttpTransport sends). The platform debug
# library is built on its own (with the CLI in the same cargo run, feature unification would
# switch reqwest back on) and copied to target/flavours/platform/, because the next default
# build puts the default library back at target/debug/libobauth_ffi.so.
#
# Generated code is not committed. Always generate from the unstripped library: library mode
# reads UniFFI's metadata from it (strip only the copy you ship).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

# shellcheck source=lib/mobile-build.sh
source "$ROOT/bindings/scripts/lib/mobile-build.sh"
FLAVOUR="${OBAUTH_FLAVOUR:-default}"
FLAVOUR_ARGS=()
read -r -a FLAVOUR_ARGS <<<"$(obauth_flavour_args)"
PROFILE="${PROFILE:-debug}"
if [[ "$FLAVOUR" == default ]]; then
    DEFAULT_OUT="$ROOT/target/bindings"
else
    DEFAULT_OUT="$ROOT/target/bindings-$FLAVOUR"
fi
OUT="${OUT:-$DEFAULT_OUT}"
if [[ "$PROFILE" == debug && "$FLAVOUR" == default ]]; then
    # The same package set as test-kotlin.sh (the sandbox CLI included), so that cargo unifies
    # features once and the library the tests load is the very file bindgen read.
    cargo build --quiet -p obauth-ffi -p obauth-uniffi-bindgen -p obauth-cli
else
    CARGO_PROFILE="$PROFILE"
    [[ "$PROFILE" == debug ]] && CARGO_PROFILE=dev
    cargo build --quiet -p obauth-ffi --profile "$CARGO_PROFILE" "${FLAVOUR_ARGS[@]}"
    cargo build --quiet -p obauth-uniffi-bindgen
fi
LIB="$(obauth_host_library "$FLAVOUR" "$PROFILE")"
if [[ "$FLAVOUR" != default ]]; then
    # Kept apart from the default library (obauth_host_library in lib/mobile-build.sh).
    mkdir -p "$(dirname "$LIB")"
    cp "$(obauth_host_library default "$PROFILE")" "$LIB"
fi
BINDGEN="$ROOT/target/debug/uniffi-bindgen"

rm -rf "$OUT/kotlin" "$OUT/swift"
mkdir -p "$OUT/kotlin" "$OUT/swift"
for lang in kotlin swift; do
    "$BINDGEN" generate --config "$ROOT/uniffi.toml" --metadata-no-deps --no-format \
        --language "$lang" --out-dir "$OUT/$lang" "$LIB"
done

# UniFFI 0.32's Kotlin has a gap with a callback interface whose error type belongs to another
# component (ObAuthError lives in obauth_protocol; the host traits in obauth_ffi throw it): the
# error is lowered into that component's RustBuffer class where the call status wants this
# package's, which does not compile (the bug class of uniffi-rs #2392, fixed for functions but
# not for callbacks). Copy the buffer over, as UniFFI's own external error handlers do. Loud if
# the generated code changes shape, so the workaround goes when UniFFI fixes it.
KT="$OUT/kotlin/dev/obauth/ffi/obauth_ffi.kt"
export UNIFFI_BUGGY='{ e: ObAuthException -> FfiConverterTypeObAuthError.lower(e) }'
export UNIFFI_FIXED='{ e: ObAuthException -> FfiConverterTypeObAuthError.lower(e).let { RustBuffer.ByValue().apply { capacity = it.capacity; len = it.len; data = it.data } } }'
if ! grep -qF "$UNIFFI_BUGGY" "$KT"; then
    echo "generate: the Kotlin callback-error workaround matched nothing in $KT; UniFFI changed: check and drop it" >&2
    exit 1
fi
perl -pi -e 's/\Q$ENV{UNIFFI_BUGGY}\E/$ENV{UNIFFI_FIXED}/g' "$KT"

# Two UniFFI components live in the library (obauth_ffi, obauth_protocol; see uniffi.toml): a
# Kotlin package each, and two Swift files that the Swift package (root Package.swift) compiles
# as one module, ObAuthFFI, with, on Linux, both C headers under its own module map
# (bindings/swift/Sources/ObAuthFFIFFI/module.modulemap, which links libobauth_ffi). The copies
# are git-ignored build products.
# The Swift package compiles them from the tree: the last generate.sh run decides the flavour.
if [[ "$OUT" == "$DEFAULT_OUT" ]]; then
    mkdir -p "$ROOT/bindings/swift/Sources/ObAuthFFI"
    # Rewritten only when they differ, so that switching flavours (same API, same files) does
    # not make SwiftPM recompile the bindings.
    for f in ObAuthFFI.swift ObAuthProtocol.swift; do
        cmp -s "$OUT/swift/$f" "$ROOT/bindings/swift/Sources/ObAuthFFI/$f" || cp "$OUT/swift/$f" "$ROOT/bindings/swift/Sources/ObAuthFFI/"
    done
    for f in ObAuthFFIFFI.h ObAuthProtocolFFI.h; do
        cmp -s "$OUT/swift/$f" "$ROOT/bindings/swift/Sources/ObAuthFFIFFI/$f" || cp "$OUT/swift/$f" "$ROOT/bindings/swift/Sources/ObAuthFFIFFI/"
    done
fi
echo "generate: bindings from $LIB in $OUT/kotlin and $OUT/swift"
