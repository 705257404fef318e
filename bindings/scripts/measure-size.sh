#!/usr/bin/env bash
# Measures the stripped size of the FFI library as shipped (issue 4's size budget: <= 3 MB):
# the x86_64 Linux cdylib built with the release-mobile profile and the mobile link flags,
# stripped after (never before) bindings generation. Prints the figure; BENCHMARKS.md records it.
#
#   bindings/scripts/measure-size.sh
#
# Link flags (LLD, the default linker of Rust on x86_64 Linux and the Android NDK's):
#   --icf=all                identical code folding (Rust's generics produce many twins)
#   -z pack-relative-relocs  RELR relative relocations (Android API 28+, glibc 2.36+)
# build-aar.sh passes the same flags for the Android targets. A separate target dir keeps these
# RUSTFLAGS from invalidating the everyday builds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

TARGET_DIR="$ROOT/target/size"
MOBILE_LINK_FLAGS="-C link-arg=-Wl,--icf=all -C link-arg=-Wl,-z,pack-relative-relocs"
RUSTFLAGS="$MOBILE_LINK_FLAGS" cargo build --quiet -p obauth-ffi --profile release-mobile \
    --target-dir "$TARGET_DIR"
cargo build --quiet -p obauth-ffi --profile release-mobile --target-dir "$TARGET_DIR/plain"

measure() {
    local lib="$1" copy
    copy="$(mktemp)"
    cp "$lib" "$copy"
    strip "$copy"
    stat -c %s "$copy"
    rm -f "$copy"
}
WITH=$(measure "$TARGET_DIR/release-mobile/libobauth_ffi.so")
PLAIN=$(measure "$TARGET_DIR/plain/release-mobile/libobauth_ffi.so")
UNSTRIPPED=$(stat -c %s "$TARGET_DIR/release-mobile/libobauth_ffi.so")
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
echo "libobauth_ffi.so (x86_64 Linux, release-mobile, stripped, mobile link flags): $WITH bytes ($(mib "$WITH"))"
echo "libobauth_ffi.so (x86_64 Linux, release-mobile, stripped, default link flags): $PLAIN bytes ($(mib "$PLAIN"))"
echo "libobauth_ffi.so (unstripped, as bindgen reads it): $UNSTRIPPED bytes ($(mib "$UNSTRIPPED"))"
