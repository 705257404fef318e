#!/usr/bin/env bash
# Installs what the sample's checks need beyond bindings/scripts/setup.sh: PyPI
# `tree-sitter-kotlin` in the same venv (build/tools/venv) as tree-sitter-swift, for
# check-kotlin-syntax.py. Idempotent; needs PyPI only the first time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/build/tools/venv"
TREE_SITTER_VERSION="${TREE_SITTER_VERSION:-0.26.1}"
TREE_SITTER_KOTLIN_VERSION="${TREE_SITTER_KOTLIN_VERSION:-1.1.0}"

if ! "$VENV/bin/python" -c 'import tree_sitter, tree_sitter_kotlin' 2>/dev/null; then
    echo "android-sample setup: installing tree-sitter + tree-sitter-kotlin into $VENV"
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "tree-sitter==$TREE_SITTER_VERSION" "tree-sitter-kotlin==$TREE_SITTER_KOTLIN_VERSION"
fi
"$VENV/bin/python" -c 'import tree_sitter, tree_sitter_kotlin' \
    || { echo "android-sample setup: tree-sitter-kotlin missing after install" >&2; exit 1; }
echo "android-sample setup: tree-sitter-kotlin is ready"
