#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, and all test suites.
# This is the README's test command; .ci/run calls it after installing what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo test (unit, property, sandbox, core end-to-end, CLI contract)"
cargo test --workspace
