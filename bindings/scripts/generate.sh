#!/usr/bin/env bash
# Builds the FFI library (debug) and generates the Kotlin and Swift bindings from it in library
# mode, with the workspace's own uniffi-bindgen and the names in the root uniffi.toml.
#
#   bindings/scripts/generate.sh            # -> target/bindings/{kotlin,swift}
#   PROFILE=release bindings/scripts/generate.sh
#
# Generated code is not committed. Always generate from the unstripped library: library mode
# reads UniFFI's metadata from it (strip only the copy you ship).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

PROFILE="${PROFILE:-debug}"
OUT="${OUT:-$ROOT/target/bindings}"
case "$(uname -s)" in
    Darwin) LIB_EXT=dylib ;;
    *) LIB_EXT=so ;;
esac

if [[ "$PROFILE" == debug ]]; then
    # The same package set as test-kotlin.sh (the sandbox CLI included), so that cargo unifies
    # features once and the library the tests load is the very file bindgen read.
    cargo build --quiet -p obauth-ffi -p obauth-uniffi-bindgen -p obauth-cli
    TARGET_DIR="$ROOT/target/debug"
else
    cargo build --quiet -p obauth-ffi --profile "$PROFILE"
    cargo build --quiet -p obauth-uniffi-bindgen
    TARGET_DIR="$ROOT/target/$PROFILE"
fi
LIB="$TARGET_DIR/libobauth_ffi.$LIB_EXT"
BINDGEN="$ROOT/target/debug/uniffi-bindgen"

rm -rf "$OUT/kotlin" "$OUT/swift"
mkdir -p "$OUT/kotlin" "$OUT/swift"
for lang in kotlin swift; do
    "$BINDGEN" generate --config "$ROOT/uniffi.toml" --metadata-no-deps --no-format \
        --language "$lang" --out-dir "$OUT/$lang" "$LIB"
done

# The Swift package (root Package.swift) compiles the generated Swift file and, on Linux, the C
# header through its own module map (bindings/swift/Sources/ObAuthFFIFFI/module.modulemap, which
# links libobauth_ffi). Both copies are git-ignored build products.
if [[ "$OUT" == "$ROOT/target/bindings" ]]; then
    mkdir -p "$ROOT/bindings/swift/Sources/ObAuthFFI"
    cp "$OUT/swift/ObAuthFFI.swift" "$ROOT/bindings/swift/Sources/ObAuthFFI/ObAuthFFI.swift"
    cp "$OUT/swift/ObAuthFFIFFI.h" "$ROOT/bindings/swift/Sources/ObAuthFFIFFI/ObAuthFFIFFI.h"
fi
echo "generate: bindings from $LIB in $OUT/kotlin and $OUT/swift"
