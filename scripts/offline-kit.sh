#!/usr/bin/env bash
# Air-gapped builds: switch cargo to a vendored crate directory and npm to a local cache.
#
# Banks often run CI with no route to crates.io or the npm registry. ObAuth builds and tests
# from an *offline kit*: a folder holding
#   crates-vendor.tar.gz   a cargo directory source (`vendor/`), made by `cargo vendor`
#   npm-cache.tar.gz       an npm cache (`npm-cache/`) holding every npm package the tests use
# (README, "Building without the crate and npm registries", says how to make one).
#
# Which kit: $OBAUTH_OFFLINE_KIT if set, else ../shared/offline beside the checkout (as CI lays
# it out), else none: then this script removes nothing, writes nothing and online builds work
# as always. Set OBAUTH_OFFLINE_KIT=none to force online mode even when a kit is beside the
# checkout.
#
# With a kit it (idempotently):
#   * unpacks both archives into build/offline/ (once per archive content; a newer kit re-unpacks);
#   * writes .cargo/config.toml (git-ignored) replacing crates.io with the vendored directory and
#     setting net.offline, so every cargo command in any script builds from the kit;
#   * writes build/offline/npmrc; scripts that install npm packages source `offline_env` below
#     (exports NPM_CONFIG_CACHE / NPM_CONFIG_OFFLINE) so `npm ci` / `npm install` use the cache.
#
# Usage: scripts/offline-kit.sh            set up (prints which mode)
#        source scripts/offline-kit.sh env export the npm variables into the calling shell
set -euo pipefail
_OBAUTH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

obauth_offline_kit_dir() {
    local kit="${OBAUTH_OFFLINE_KIT:-}"
    if [[ "$kit" == "none" ]]; then return 1; fi
    if [[ -z "$kit" && -d "$_OBAUTH_ROOT/../shared/offline" ]]; then
        kit="$_OBAUTH_ROOT/../shared/offline"
    fi
    [[ -n "$kit" ]] || return 1
    if [[ ! -f "$kit/crates-vendor.tar.gz" && ! -f "$kit/npm-cache.tar.gz" ]]; then
        echo "offline-kit: $kit holds neither crates-vendor.tar.gz nor npm-cache.tar.gz" >&2
        exit 1
    fi
    (cd "$kit" && pwd)
}

# Unpacks ARCHIVE into DEST/NAME unless the stamp says this exact archive is already there.
_obauth_unpack() {
    local archive="$1" dest="$2" name="$3"
    local stamp="$dest/.$name.stamp" sig
    sig="$(stat -c '%s %Y' "$archive")"
    if [[ -d "$dest/$name" && -f "$stamp" && "$(cat "$stamp")" == "$sig" ]]; then return 0; fi
    echo "offline-kit: unpacking $(basename "$archive")"
    rm -rf "${dest:?}/$name"
    mkdir -p "$dest"
    tar xzf "$archive" -C "$dest"
    [[ -d "$dest/$name" ]] || { echo "offline-kit: $archive holds no $name/" >&2; exit 1; }
    echo "$sig" >"$stamp"
}

obauth_offline_setup() {
    local kit out="$_OBAUTH_ROOT/build/offline"
    if ! kit="$(obauth_offline_kit_dir)"; then
        if [[ -f "$_OBAUTH_ROOT/.cargo/config.toml" ]] && grep -q 'obauth-offline-kit' "$_OBAUTH_ROOT/.cargo/config.toml"; then
            rm -f "$_OBAUTH_ROOT/.cargo/config.toml"
        fi
        echo "offline-kit: none (online: crates.io and the npm registry)"
        return 0
    fi
    if [[ -f "$kit/crates-vendor.tar.gz" ]]; then
        _obauth_unpack "$kit/crates-vendor.tar.gz" "$out" vendor
        mkdir -p "$_OBAUTH_ROOT/.cargo"
        cat >"$_OBAUTH_ROOT/.cargo/config.toml" <<CFG
# Written by scripts/offline-kit.sh (obauth-offline-kit); git-ignored. Delete it, or run with
# OBAUTH_OFFLINE_KIT=none, to build from crates.io again.
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "$out/vendor"

[net]
offline = true
CFG
    fi
    if [[ -f "$kit/npm-cache.tar.gz" ]]; then
        _obauth_unpack "$kit/npm-cache.tar.gz" "$out" npm-cache
    fi
    echo "offline-kit: $kit (cargo: vendored crates; npm: local cache)"
}

# Exports the npm settings for the offline cache when a kit is in use (call after setup).
offline_env() {
    local cache="$_OBAUTH_ROOT/build/offline/npm-cache"
    if obauth_offline_kit_dir >/dev/null 2>&1 && [[ -d "$cache" ]]; then
        export NPM_CONFIG_CACHE="$cache" NPM_CONFIG_OFFLINE=true
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    obauth_offline_setup
elif [[ "${1:-}" == "env" ]]; then
    offline_env
fi
