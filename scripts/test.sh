#!/usr/bin/env bash
# Runs every test of the project. This is the README's test command; .ci/run calls it.
# It installs what it needs first (idempotent; apt/npm/pip from the ordinary registries).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== setup (Chromium, playwright-core, Kotlin compiler, JNA, tree-sitter for Swift and Kotlin)"
tests/browser/setup.sh
bindings/scripts/setup.sh
android-sample/scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo test (unit, property, sandbox, end-to-end, CLI contract)"
cargo test --workspace

echo "== Kotlin bindings on the JVM, Swift syntax check (bindings and ios-sample)"
bindings/scripts/test-all.sh

echo "== Android sample: plain-Kotlin logic on the JVM, Android glue syntax"
android-sample/scripts/test-jvm.sh
android-sample/scripts/check-kotlin-syntax.py

echo "== browser end-to-end tests (real Chromium)"
tests/browser/run.sh
