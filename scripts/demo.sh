#!/usr/bin/env bash
# The README's demo command: every flow against the embedded sandbox (`obauth demo`).
# Builds from the offline kit when one is in use (scripts/offline-kit.sh), else from crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/offline-kit.sh >&2
exec cargo run --quiet -p obauth-cli -- demo "$@"
