#!/usr/bin/env bash
# Installs what the binding tests need, into project-local directories where possible.
#
#   * Kotlin compiler: npm package `kotlin-compiler` (full kotlinc 2.x; its lib/ holds
#     kotlin-stdlib.jar, kotlin-test.jar and kotlinx-coroutines-core-jvm.jar), installed into
#     build/tools/ (never globally). Debian's own `kotlin` package is too old.
#   * JNA: Debian `libjna-java` (/usr/share/java/jna.jar), via apt-get; `apt-get update` runs
#     only when the package is missing.
#   * Swift syntax check: PyPI `tree-sitter` + `tree-sitter-swift` in a venv at build/tools/venv.
#
# Idempotent and fast when everything is there already. Needs Debian's archive and PyPI the
# first time, and the npm registry unless an offline kit is in use (scripts/offline-kit.sh). Run as root (CI) or with sudo
# available for the apt-get step.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLS="$ROOT/build/tools"
# npm from the offline kit's cache when one is in use (scripts/offline-kit.sh).
source "$ROOT/scripts/offline-kit.sh" env
mkdir -p "$TOOLS"

KOTLIN_VERSION="${KOTLIN_VERSION:-2.4.20}"
TREE_SITTER_VERSION="${TREE_SITTER_VERSION:-0.26.1}"
TREE_SITTER_SWIFT_VERSION="${TREE_SITTER_SWIFT_VERSION:-0.7.4}"

# --- kotlinc ---------------------------------------------------------------------------------
KOTLINC="$TOOLS/node_modules/kotlin-compiler/bin/kotlinc"
if [[ ! -x "$KOTLINC" ]]; then
    echo "setup: installing kotlin-compiler@$KOTLIN_VERSION from npm into $TOOLS"
    (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error --prefix "$TOOLS" \
        "kotlin-compiler@$KOTLIN_VERSION" >/dev/null)
    chmod +x "$TOOLS"/node_modules/kotlin-compiler/bin/* 2>/dev/null || true
fi
[[ -x "$KOTLINC" ]] || { echo "setup: kotlinc missing after install" >&2; exit 1; }

# --- JNA -------------------------------------------------------------------------------------
if [[ ! -f /usr/share/java/jna.jar ]]; then
    SUDO=""
    [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
    echo "setup: installing libjna-java with apt-get"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        libjna-java >/dev/null
fi
[[ -f /usr/share/java/jna.jar ]] || { echo "setup: jna.jar missing" >&2; exit 1; }

# --- Swift toolchain (the Swift suites: bindings/scripts/test-swift.sh) -----------------------
if ! command -v swift >/dev/null 2>&1; then
    echo "setup: ERROR: no Swift toolchain on PATH; the Swift suites cannot run (install Swift 6)" >&2
    exit 1
fi
swift --version 2>/dev/null | head -1

# --- tree-sitter (syntax check of the Apple-only Swift, which cannot compile on Linux) ----------
VENV="$TOOLS/venv"
if ! "$VENV/bin/python" -c 'import tree_sitter, tree_sitter_swift' 2>/dev/null; then
    echo "setup: installing tree-sitter + tree-sitter-swift into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "tree-sitter==$TREE_SITTER_VERSION" "tree-sitter-swift==$TREE_SITTER_SWIFT_VERSION"
fi
"$VENV/bin/python" -c 'import tree_sitter, tree_sitter_swift' \
    || { echo "setup: tree-sitter missing after install" >&2; exit 1; }

echo "setup: kotlinc, jna.jar and tree-sitter-swift are ready"
