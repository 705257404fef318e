#!/usr/bin/env python3
"""Syntax-checks Swift without a Swift toolchain (none can be installed on these machines).

Parses every given .swift file -- by default the generated bindings in target/bindings/swift
and every hand-written .swift file in the repository (Package.swift included) -- with
tree-sitter-swift and fails on any ERROR or MISSING node, printing file:line:column.

Known grammar gaps of tree-sitter-swift, worked around before parsing (same length, so lines
and columns stay right):
  * `@_documentation(visibility: private)`, which UniFFI emits on internal helpers: blanked.
  * the empty tuple as a closure body, `{ () }` (UniFFI's `let writeReturn = { () }`): the `()`
    is blanked, leaving the equally valid empty closure `{    }`.
Nothing else is rewritten: any other ERROR or MISSING node fails the check.

Run with the venv of bindings/scripts/setup.sh:
    build/tools/venv/bin/python bindings/scripts/check-swift.py [FILE_OR_DIR ...]
"""

import pathlib
import re
import sys

import tree_sitter
import tree_sitter_swift

ROOT = pathlib.Path(__file__).resolve().parents[2]
SKIP_DIRS = {"target", "build", ".git", "node_modules", ".build", ".swiftpm", "DerivedData"}
GRAMMAR_GAPS = [
    re.compile(rb"^[ \t]*@_documentation\(visibility:\s*\w+\)[ \t]*$", re.MULTILINE),
    re.compile(rb"(?<=\{)[ \t]*\(\)[ \t]*(?=\})"),
]


def work_around_grammar_gaps(source):
    """Blanks the constructs tree-sitter-swift cannot parse, keeping every offset."""
    for pattern in GRAMMAR_GAPS:
        source = pattern.sub(lambda m: b" " * len(m.group(0)), source)
    return source


def default_files():
    """Generated Swift plus every hand-written .swift file in the repository."""
    generated = sorted((ROOT / "target" / "bindings" / "swift").glob("*.swift"))
    if not generated:
        sys.exit("check-swift: no generated Swift in target/bindings/swift (run generate.sh)")
    handwritten = sorted(
        p
        for p in ROOT.rglob("*.swift")
        if not any(part in SKIP_DIRS for part in p.relative_to(ROOT).parts)
    )
    return generated + handwritten


def expand(args):
    files = []
    for arg in args:
        path = pathlib.Path(arg)
        files.extend(sorted(path.rglob("*.swift")) if path.is_dir() else [path])
    return files


def problems(tree):
    """Yields (node, kind) for every ERROR / MISSING node, outermost first."""
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            yield node, "MISSING " + node.type
        elif node.is_error:
            yield node, "ERROR"
        elif node.has_error:
            stack.extend(reversed(node.children))


def main(argv):
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
    files = expand(argv) if argv else default_files()
    failures = 0
    for path in files:
        source = path.read_bytes()
        source = work_around_grammar_gaps(source)
        tree = parser.parse(source)
        shown = 0
        for node, kind in problems(tree):
            failures += 1
            if shown < 20:
                line, column = node.start_point
                text = source.splitlines()[line].decode(errors="replace").strip() if source else ""
                try:
                    name = path.resolve().relative_to(ROOT)
                except ValueError:
                    name = path
                print(f"{name}:{line + 1}:{column + 1}: {kind}: {text[:120]}")
            shown += 1
    checked = len(files)
    if failures:
        print(f"check-swift: {failures} syntax problem(s) in {checked} file(s)")
        return 1
    print(f"check-swift: {checked} Swift file(s) parse cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
