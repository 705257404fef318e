#!/usr/bin/env bash
# What each family of exported flows costs in the shipped library (BENCHMARKS.md, "What the
# targets would take"; issue 13). The committed tree is copied to target/size-by-family/src; for
# each variant, the `#[uniffi::export]` / `#[uniffi::method]` / `#[uniffi::constructor]`
# attributes of one family's FFI files are removed there (a foreign trait's `export(foreign)`
# stays: other exports take it), so that LTO drops every function only that family reaches, core
# code included; the copy's own measure-size.sh then builds the default and the platform flavour
# and the floor with the shipped settings. The repository is not touched; the copy is an
# experiment, not a build anyone ships.
#
#   bindings/scripts/measure-size-by-family.sh      # ~10 min warm, ~20 min cold on 2 cores
#
# Families (FFI files whose exports go): oidc = oidc.rs + sign_out.rs (OidcClient: discovery,
# PKCE, client credentials, revocation, sign-out), unattended = unattended.rs (unattended login,
# resume, the supervised-token JSON helpers), relay = relay.rs (the relay-mode connect flow; the
# relay constructor stays).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
COPY="$ROOT/target/size-by-family/src"
mkdir -p "$COPY"
git archive HEAD | tar -x -C "$COPY"
mkdir -p "$COPY/.cargo"
cp .cargo/config.toml "$COPY/.cargo/" 2>/dev/null || true

files_of() {
    case "$1" in
        oidc) echo "oidc.rs sign_out.rs" ;;
        unattended) echo "unattended.rs" ;;
        relay) echo "relay.rs" ;;
        *) echo "measure-size-by-family: unknown family $1" >&2; exit 1 ;;
    esac
}

# measure LABEL FAMILY...: resets the copy's FFI sources, removes the families' exports, measures.
measure() {
    local label="$1"
    shift
    git archive HEAD bindings/src | tar -x -C "$COPY"
    local family file
    for family in "$@"; do
        for file in $(files_of "$family"); do
            sed -i -E '/^\s*#\[uniffi::(export\]|method|constructor)/d' "$COPY/bindings/src/$file"
        done
    done
    local log="$ROOT/target/size-by-family/$label.log"
    (cd "$COPY" && bindings/scripts/measure-size.sh) >"$log"
    local ffi platform floor
    ffi="$(sed -n 's/^libobauth_ffi.so (x86_64.*stripped): \([0-9]*\) bytes.*/\1/p' "$log")"
    platform="$(sed -n 's/^libobauth_ffi.so, platform-networking.*: \([0-9]*\) bytes.*/\1/p' "$log")"
    floor="$(sed -n 's/^floor: .*: \([0-9]*\) bytes.*/\1/p' "$log")"
    printf '%-44s default %9d (ffi/floor %s)  platform %9d\n' "$label" "$ffi" \
        "$(awk -v a="$ffi" -v b="$floor" 'BEGIN { printf "%.3f", a / b }')" "$platform"
}

measure "as shipped"
measure "without oidc" oidc
measure "without unattended" unattended
measure "without relay" relay
measure "supervised login, connect, tokens only" oidc unattended relay
