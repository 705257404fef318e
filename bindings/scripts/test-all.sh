#!/usr/bin/env bash
# Every binding test that runs on Linux, in order:
#   1. setup.sh          kotlinc (npm), JNA (apt), tree-sitter-swift (PyPI) -- skipped when present
#   2. generate.sh       debug libobauth_ffi + Kotlin/Swift bindings in target/bindings
#   3. test-kotlin.sh    generated Kotlin + dev.obauth layer + tests on the JVM against a sandbox
#   4. check-swift.py    syntax of the generated Swift and every hand-written .swift file
# Called by scripts/test.sh (the README's test command) and so by CI.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
SCRIPTS="$ROOT/bindings/scripts"

echo "== bindings: tools"
"$SCRIPTS/setup.sh"
echo "== bindings: generate (uniffi-bindgen, library mode)"
"$SCRIPTS/generate.sh"
echo "== bindings: Kotlin tests (JVM + JNA + sandbox)"
"$SCRIPTS/test-kotlin.sh"
echo "== bindings: Swift syntax check (tree-sitter)"
"$ROOT/build/tools/venv/bin/python" "$SCRIPTS/check-swift.py"
