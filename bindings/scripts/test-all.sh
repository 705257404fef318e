#!/usr/bin/env bash
# Every binding test that runs on Linux, in order:
#   1. setup.sh          kotlinc (npm), JNA (apt), tree-sitter-swift (PyPI) -- skipped when present
#   2. generate.sh       debug libobauth_ffi + Kotlin/Swift bindings in target/bindings
#   3. test-kotlin.sh    generated Kotlin + dev.obauth layer + tests on the JVM against a sandbox
#   4. test-swift.sh     the Swift package and the iOS sample's logic, compiled by the Swift
#                        toolchain (Swift 6 mode) and tested against the library and a sandbox
#   5. check-swift.py    syntax of every .swift file, for the Apple-only code (SwiftUI, WebKit,
#                        Keychain) that the Linux toolchain cannot compile
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
echo "== bindings: Swift tests (swift build + swift test, Linux)"
"$SCRIPTS/test-swift.sh"
echo "== bindings: Swift syntax check of the Apple-only code too (tree-sitter)"
"$ROOT/build/tools/venv/bin/python" "$SCRIPTS/check-swift.py"
