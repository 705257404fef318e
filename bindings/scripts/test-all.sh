#!/usr/bin/env bash
# Every binding test that runs on Linux, in order:
#   1. setup.sh          kotlinc (npm), JNA (apt), tree-sitter-swift (PyPI) -- skipped when present
#   2. generate.sh       debug libobauth_ffi + Kotlin/Swift bindings in target/bindings
#   3. test-kotlin.sh    generated Kotlin + dev.obauth layer + tests on the JVM against a sandbox
#   4. test-swift.sh     the Swift package and the iOS sample's logic, compiled by the Swift
#                        toolchain (Swift 6 mode) and tested against the library and a sandbox
#   5. the same Kotlin and Swift suites against the platform-networking flavour of the library
#      (OBAUTH_FLAVOUR=platform: no HTTP client or TLS stack inside; HttpURLConnection and
#      URLSession send). Same generated API, so nothing is recompiled: a debug build of the
#      flavour (the core without reqwest, ~1 min), a relink, and the test runs.
#   6. check-swift.py    syntax of every .swift file, for the Apple-only code (SwiftUI, WebKit,
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
echo "== bindings: platform-networking flavour: generate, Kotlin tests, Swift tests"
OBAUTH_FLAVOUR=platform "$SCRIPTS/generate.sh"
OBAUTH_FLAVOUR=platform "$SCRIPTS/test-kotlin.sh"
OBAUTH_FLAVOUR=platform "$SCRIPTS/test-swift.sh"
# The in-tree Swift bindings back to the default flavour's (identical today; cheap either way).
"$SCRIPTS/generate.sh"
echo "== bindings: Swift syntax check of the Apple-only code too (tree-sitter)"
"$ROOT/build/tools/venv/bin/python" "$SCRIPTS/check-swift.py"
