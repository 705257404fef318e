#!/usr/bin/env bash
# Measures the stripped size of the FFI library as shipped against its dependency floor
# (issue 13: ffi / floor <= 1.20): the x86_64 Linux cdylib of obauth-ffi and of the floor
# fixture bindings/size-floor (ObAuth's dependency stack with one exported async method), built
# in one run with identical settings — the release-mobile profile, one crate type per build so
# that LTO is applied (lib/mobile-build.sh says why), the mobile link flags, the build-path
# remapping, UniFFI's metadata left out as build-aar.sh leaves it out — and stripped.
# BENCHMARKS.md records it.
#
#   bindings/scripts/measure-size.sh
#
# Link flags (LLD, the default linker of Rust on x86_64 Linux and the Android NDK's):
#   --icf=all                identical code folding (Rust's generics produce many twins)
#   -z pack-relative-relocs  RELR relative relocations (Android API 28+, glibc 2.36+)
# build-aar.sh passes the same flags for the Android targets. A separate target dir keeps these
# RUSTFLAGS from invalidating the everyday builds; both libraries share its dependencies.
# The built copies stay in target/size/out/ for analysis (nm --size-sort, objdump -h).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/mobile-build.sh
source "$ROOT/bindings/scripts/lib/mobile-build.sh"

TARGET_DIR="$ROOT/target/size"
OUT_DIR="$TARGET_DIR/out"
mkdir -p "$OUT_DIR"
MOBILE_LINK_FLAGS="-C link-arg=-Wl,--icf=all -C link-arg=-Wl,-z,pack-relative-relocs"
export RUSTFLAGS="$MOBILE_LINK_FLAGS $(obauth_mobile_rustflags)"

# build NAME PACKAGE LIBFILE [cargo args...]: builds, keeps an unstripped and a stripped copy.
# UniFFI's metadata is left out as build-aar.sh leaves it out (lib/mobile-build.sh): the version
# script comes from a debug host build of the same package and flavour (target/size-host, plain
# flags: the stand-in for generate.sh's library), and the shipped library must then export
# exactly the functions that build does, without the metadata.
build() {
    local name="$1" package="$2" file="$3"
    shift 3
    env -u RUSTFLAGS cargo rustc --lib -p "$package" --crate-type cdylib --quiet \
        --target-dir "$ROOT/target/size-host" "$@"
    local host="$ROOT/target/size-host/debug/$file"
    obauth_metadata_version_script "$host" "$OUT_DIR/$name.map"
    local link_args
    mapfile -t link_args < <(obauth_metadata_link_args "$OUT_DIR/$name.map")
    cargo_mobile_lib cdylib "$package" --quiet --target-dir "$TARGET_DIR" "$@" -- "${link_args[@]}"
    local built="$TARGET_DIR/release-mobile/$file"
    local left
    left="$(obauth_library_symbols "$built" | awk '/^UNIFFI_META_/')"
    if [[ -n "$left" ]] || ! cmp -s <(obauth_exports_of "$built") <(obauth_exports_of "$host"); then
        echo "measure-size: $name: the library's exports are not the host build's functions without the metadata" >&2
        exit 1
    fi
    cp "$built" "$OUT_DIR/$name.so"
    cp "$OUT_DIR/$name.so" "$OUT_DIR/$name.stripped.so"
    strip "$OUT_DIR/$name.stripped.so"
}
build ffi obauth-ffi libobauth_ffi.so
build floor obauth-size-floor libobauth_size_floor.so
# The platform-networking flavour: no reqwest, hyper, rustls, ring (target: <= 1.0 MB).
build ffi-platform obauth-ffi libobauth_ffi.so --no-default-features

size_of() { stat -c %s "$OUT_DIR/$1.stripped.so"; }
# GOT slots: what the linker could not resolve statically. Thousands mean no LTO happened.
got_entries() {
    local hex
    hex="$(objdump -h "$OUT_DIR/$1.so" | awk '$2 == ".got" { print $3 }')"
    echo $((16#${hex:-0} / 8))
}
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
FFI=$(size_of ffi)
FLOOR=$(size_of floor)
echo "libobauth_ffi.so (x86_64 Linux, release-mobile, LTO, mobile link flags, stripped): $FFI bytes ($(mib "$FFI")), $(got_entries ffi) GOT entries"
echo "floor: libobauth_size_floor.so (same settings): $FLOOR bytes ($(mib "$FLOOR")), $(got_entries floor) GOT entries"
PLATFORM=$(size_of ffi-platform)
echo "libobauth_ffi.so, platform-networking flavour (--no-default-features, same settings): $PLATFORM bytes ($(mib "$PLATFORM")), $(got_entries ffi-platform) GOT entries"
echo "unstripped: $(stat -c %s "$OUT_DIR/ffi.so") bytes"
awk -v a="$FFI" -v b="$FLOOR" 'BEGIN { printf "ffi / floor = %.2f\n", a / b }'
awk -v p="$PLATFORM" 'BEGIN { printf "platform flavour = %.3f MB (target <= 1.0 MB)\n", p / 1000000 }'
