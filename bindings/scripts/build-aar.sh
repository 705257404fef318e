#!/usr/bin/env bash
# Builds the ObAuth Android library (AAR): bindings/android/build/outputs/aar/obauth-android-release.aar
# Needs the Android SDK + NDK (ANDROID_HOME, ANDROID_NDK_HOME), a JDK 17 and Gradle >= 8.9 on
# PATH (or GRADLE=/path/to/gradlew). It cannot run on the CI machines (no Android SDK there).
#
#   ANDROID_NDK_HOME=... bindings/scripts/build-aar.sh
#
# Steps:
#   1. The Kotlin bindings are generated in library mode from the unstripped host library
#      (generate.sh) into bindings/android/src/main/generated/; from the same library comes the
#      linker version script that leaves UniFFI's metadata (≈ 61 KB per ABI, read only by the
#      generator) out of the shipped libraries (lib/mobile-build.sh; measure-size.sh links its
#      measured library the same way and checks its exports).
#   2. cargo-ndk (installed with `cargo install` if missing) builds libobauth_ffi.so with the
#      release-mobile profile for arm64-v8a, armeabi-v7a, x86_64 and x86 (API 24) into
#      bindings/android/src/main/jniLibs/<abi>/, with LLD's --icf=all, Android packed
#      relocations (--pack-dyn-relocs=android; RELR needs API 28) and that version script. It
#      runs `cargo rustc --crate-type cdylib`, not `cargo build`: with `lib` among the crate's
#      crate types cargo would leave LTO out (lib/mobile-build.sh). Build paths are remapped out
#      of the binary. OBAUTH_FLAVOUR=platform builds the platform-networking flavour (no HTTP
#      client or TLS stack; the app installs dev.obauth.HttpUrlConnectionTransport with
#      setHttpTransport, and ObAuthAndroid.init, which initializes the TLS verifier, must not be
#      called).
#   3. Each .so must export every function of the host library and no metadata; it is then
#      stripped with the NDK's llvm-strip.
#   4. gradle assembleRelease packages the AAR: the .so files, the generated Kotlin, the
#      dev.obauth coroutine layer, ObAuthAndroid.init (TLS verifier) and the dependencies
#      (JNA as @aar, kotlinx-coroutines-android, rustls-platform-verifier's Kotlin component).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/mobile-build.sh
source "$ROOT/bindings/scripts/lib/mobile-build.sh"
ANDROID_DIR="$ROOT/bindings/android"
: "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to the Android NDK (r26 or newer)}"
API=24
ABIS=(arm64-v8a armeabi-v7a x86_64 x86)

command -v cargo-ndk >/dev/null || cargo install cargo-ndk --locked
rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android \
    i686-linux-android >/dev/null

NDK_BIN="$(ls -d "$ANDROID_NDK_HOME"/toolchains/llvm/prebuilt/*/bin | head -n1)"
OUT="$ROOT/target/android/bindings" "$ROOT/bindings/scripts/generate.sh"
GENERATED="$ANDROID_DIR/src/main/generated"
rm -rf "$GENERATED" && mkdir -p "$GENERATED"
cp -R "$ROOT/target/android/bindings/kotlin/." "$GENERATED/"
# The host library generate.sh read gives the version script that leaves UniFFI's metadata out,
# and the exports every ABI must have.
HOST_LIB="$(obauth_host_library "${OBAUTH_FLAVOUR:-default}")"
METADATA_MAP="$ROOT/target/android/uniffi-metadata.map"
NM="$NDK_BIN/llvm-nm" obauth_metadata_version_script "$HOST_LIB" "$METADATA_MAP"

JNI_LIBS="$ANDROID_DIR/src/main/jniLibs"
rm -rf "$JNI_LIBS"
NDK_ARGS=()
for abi in "${ABIS[@]}"; do NDK_ARGS+=(-t "$abi"); done
FLAVOUR_ARGS=()
read -r -a FLAVOUR_ARGS <<<"$(obauth_flavour_args)"
LINK_ARGS=()
mapfile -t LINK_ARGS < <(obauth_metadata_link_args "$METADATA_MAP")
RUSTFLAGS="-C link-arg=-Wl,--icf=all -C link-arg=-Wl,--pack-dyn-relocs=android $(obauth_mobile_rustflags)" \
    cargo ndk "${NDK_ARGS[@]}" --platform "$API" -o "$JNI_LIBS" \
    rustc --lib -p obauth-ffi --profile release-mobile --crate-type cdylib \
    --target-dir "$ROOT/target/android" "${FLAVOUR_ARGS[@]}" -- "${LINK_ARGS[@]}"

for abi in "${ABIS[@]}"; do
    so="$JNI_LIBS/$abi/libobauth_ffi.so"
    # Every function the bindings were generated against is exported (the Android build adds
    # its JNI entry point, android.rs), and no metadata is left.
    missing="$(comm -23 <(NM="$NDK_BIN/llvm-nm" obauth_exports_of "$HOST_LIB") \
        <(NM="$NDK_BIN/llvm-nm" obauth_exports_of "$so"))"
    left="$(NM="$NDK_BIN/llvm-nm" obauth_library_symbols "$so" | awk '/^UNIFFI_META_/')"
    if [[ -n "$missing" || -n "$left" ]]; then
        echo "build-aar: $abi: exports missing (${missing//$'\n'/ }) or UniFFI metadata left" >&2
        exit 1
    fi
    "$NDK_BIN/llvm-strip" --strip-unneeded "$so"
    echo "build-aar: $abi $(wc -c <"$so") bytes"
done

(cd "$ANDROID_DIR" && "${GRADLE:-gradle}" --no-daemon assembleRelease)
echo "build-aar: $ANDROID_DIR/build/outputs/aar/obauth-android-release.aar"
