#!/usr/bin/env bash
# Runs every test of the project. This is the README's test command; .ci/run calls it.
# It installs what it needs first (idempotent): Debian packages with apt-get, PyPI packages into
# a local venv, crates and npm packages from their registries -- or, when an offline kit is in
# use (OBAUTH_OFFLINE_KIT, or ../shared/offline beside the checkout), from the kit
# (scripts/offline-kit.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== offline kit (vendored crates, npm cache) if one is in use"
scripts/offline-kit.sh

echo "== setup (Chromium, playwright-core, oidc-provider, Kotlin compiler, JNA, Swift, tree-sitter for Swift and Kotlin)"
tests/browser/setup.sh
# oidc-provider (a certified OpenID Provider) for the interop tests, from the offline kit's npm
# cache; `cargo test --workspace` below runs them (tests/tests/interop).
tests/interop/setup.sh
bindings/scripts/setup.sh
android-sample/scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo doc of the library crates (broken or private links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet \
    -p obauth -p obauth-protocol -p obauth-relay -p obauth-sandbox -p obauth-ffi

echo "== cargo test (unit, property, sandbox, end-to-end, oidc-provider interop, CLI contract)"
cargo test --workspace

echo "== bindings: Kotlin on the JVM, Swift (package + iOS sample logic) on Linux, Swift syntax"
bindings/scripts/test-all.sh

echo "== Android sample: plain-Kotlin logic on the JVM, Android glue syntax"
android-sample/scripts/test-jvm.sh
android-sample/scripts/check-kotlin-syntax.py

echo "== browser end-to-end tests (real Chromium)"
tests/browser/run.sh

echo "== fuzzing smoke (every libFuzzer target on its committed corpus; scripts/fuzz.sh)"
scripts/fuzz.sh smoke
