#!/usr/bin/env bash
# Builds the XCFramework of the Swift package (Package.swift at the repository root).
# macOS with Xcode only (xcodebuild, lipo); it cannot run on Linux.
#
#   bindings/scripts/build-xcframework.sh
#   swift build && swift test        # then, from the repository root
#
# Steps:
#   1. `cargo rustc --crate-type staticlib --profile release-mobile` of obauth-ffi (one crate
#      type, so that cargo applies the profile's LTO: lib/mobile-build.sh; build paths remapped)
#      as a static library for
#      aarch64-apple-ios (devices), aarch64-apple-ios-sim + x86_64-apple-ios (simulator, merged
#      with lipo) and aarch64-apple-darwin + x86_64-apple-darwin (macOS, for `swift test`).
#   2. uniffi-bindgen (the workspace binary) generates the Swift bindings in library mode from
#      the unstripped macOS library: bindings/swift/Sources/ObAuthFFI/ObAuthFFI.swift and
#      ObAuthProtocol.swift (the two UniFFI components, one Swift module) plus their C headers
#      under one module map.
#   3. xcodebuild -create-xcframework → bindings/swift/ObAuthFFIFFI.xcframework.
# Static libraries are stripped when the app links; nothing is stripped here.
#
# Needs: Xcode, rustup. The Rust targets are added on first run.
# Set OBAUTH_XCFRAMEWORK_NO_MACOS=1 to skip the macOS slice (faster; no `swift test` then).
# OBAUTH_FLAVOUR=platform builds the platform-networking flavour (no HTTP client or TLS stack; the
# app calls setHttpTransport(transport: URLSessionTransport()) before building a client).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/mobile-build.sh
source "$ROOT/bindings/scripts/lib/mobile-build.sh"

if [[ "$(uname -s)" != Darwin ]]; then
    echo "build-xcframework: needs macOS with Xcode (xcodebuild, lipo)" >&2
    exit 1
fi

PROFILE=release-mobile
IOS=aarch64-apple-ios
SIM=(aarch64-apple-ios-sim x86_64-apple-ios)
MAC=(aarch64-apple-darwin x86_64-apple-darwin)
TARGETS=("$IOS" "${SIM[@]}")
[[ -z "${OBAUTH_XCFRAMEWORK_NO_MACOS:-}" ]] && TARGETS+=("${MAC[@]}")

rustup target add "${TARGETS[@]}" >/dev/null
export IPHONEOS_DEPLOYMENT_TARGET=15.0 MACOSX_DEPLOYMENT_TARGET=12.0
RUSTFLAGS="$(obauth_mobile_rustflags)"
export RUSTFLAGS
FLAVOUR_ARGS=()
read -r -a FLAVOUR_ARGS <<<"$(obauth_flavour_args)"
for target in "${TARGETS[@]}"; do
    echo "build-xcframework: cargo rustc --crate-type staticlib --target $target"
    cargo_mobile_lib staticlib obauth-ffi --target "$target" "${FLAVOUR_ARGS[@]}"
done

# Bindings from the unstripped host library (library mode reads UniFFI's metadata from it).
cargo_mobile_lib cdylib obauth-ffi "${FLAVOUR_ARGS[@]}"
cargo build -p obauth-uniffi-bindgen
GEN="$ROOT/target/xcframework/generated"
rm -rf "$GEN" && mkdir -p "$GEN"
"$ROOT/target/debug/uniffi-bindgen" generate --config "$ROOT/uniffi.toml" --metadata-no-deps \
    --language swift --out-dir "$GEN" "$ROOT/target/$PROFILE/libobauth_ffi.dylib"

SWIFT_OUT="$ROOT/bindings/swift/Sources/ObAuthFFI"
mkdir -p "$SWIFT_OUT"
cp "$GEN/ObAuthFFI.swift" "$GEN/ObAuthProtocol.swift" "$SWIFT_OUT/"

HEADERS="$ROOT/target/xcframework/include"
rm -rf "$HEADERS" && mkdir -p "$HEADERS"
cp "$GEN/ObAuthFFIFFI.h" "$GEN/ObAuthProtocolFFI.h" "$HEADERS/"
# One C module over both components' headers (uniffi-bindgen writes a module map per component).
cat >"$HEADERS/module.modulemap" <<'MAP'
module ObAuthFFIFFI {
    header "ObAuthFFIFFI.h"
    header "ObAuthProtocolFFI.h"
    export *
    use "Darwin"
    use "_Builtin_stdbool"
    use "_Builtin_stdint"
}
MAP

lib() { echo "$ROOT/target/$1/$PROFILE/libobauth_ffi.a"; }
FAT="$ROOT/target/xcframework/fat"
rm -rf "$FAT" && mkdir -p "$FAT/ios-sim" "$FAT/macos"
lipo -create "$(lib "${SIM[0]}")" "$(lib "${SIM[1]}")" -output "$FAT/ios-sim/libobauth_ffi.a"
ARGS=(-library "$(lib "$IOS")" -headers "$HEADERS"
      -library "$FAT/ios-sim/libobauth_ffi.a" -headers "$HEADERS")
if [[ -z "${OBAUTH_XCFRAMEWORK_NO_MACOS:-}" ]]; then
    lipo -create "$(lib "${MAC[0]}")" "$(lib "${MAC[1]}")" -output "$FAT/macos/libobauth_ffi.a"
    ARGS+=(-library "$FAT/macos/libobauth_ffi.a" -headers "$HEADERS")
fi

OUT="$ROOT/bindings/swift/ObAuthFFIFFI.xcframework"
rm -rf "$OUT"
xcodebuild -create-xcframework "${ARGS[@]}" -output "$OUT"
echo "build-xcframework: wrote $OUT and $SWIFT_OUT/{ObAuthFFI,ObAuthProtocol}.swift"
