#!/usr/bin/env python3
"""Syntax-checks the Android sample without the Android SDK (none can be installed here).

The Android glue (Activity, ViewModel, WebView client, Keystore storage) cannot be compiled on
these machines: kotlinc has no Android SDK jars to resolve against. So every hand-written
Kotlin file of the sample -- .kt and the Gradle .kts scripts, the plain-Kotlin logic and its JVM
tests too -- is parsed with tree-sitter-kotlin, and any ERROR or MISSING node fails the check,
printed as file:line:column. The resources and the manifest must be well-formed XML, and the
example assetlinks.json valid JSON.

It catches syntax errors only, not type errors: a Gradle build with the Android SDK remains the
real check (android-sample/README.md). The plain-Kotlin logic is also compiled and run by
android-sample/scripts/test-jvm.sh.

    android-sample/scripts/check-kotlin-syntax.py [FILE_OR_DIR ...]

Runs itself with build/tools/venv/bin/python when started by another interpreter
(android-sample/scripts/setup.sh installs tree-sitter-kotlin there).
"""

import json
import os
import pathlib
import sys
import xml.etree.ElementTree as ElementTree

SAMPLE = pathlib.Path(__file__).resolve().parents[1]
ROOT = SAMPLE.parent
VENV = ROOT / "build" / "tools" / "venv"
SKIP_DIRS = {"build", ".gradle", ".idea", ".git"}

try:
    import tree_sitter
    import tree_sitter_kotlin
except ImportError:
    venv_python = VENV / "bin" / "python"
    if venv_python.exists() and pathlib.Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])
    sys.exit("check-kotlin-syntax: tree-sitter-kotlin is missing (run android-sample/scripts/setup.sh)")


def sample_files(suffixes, paths=None):
    """Files under the given paths (default: the sample) whose names end in one of suffixes."""
    found = []
    for path in paths or [SAMPLE]:
        path = pathlib.Path(path)
        if path.is_file():
            found.append(path)
            continue
        for p in sorted(path.rglob("*")):
            if p.is_file() and not any(part in SKIP_DIRS for part in p.relative_to(path).parts):
                found.append(p)
    return [p for p in found if p.name.endswith(suffixes)]


def shown(path):
    try:
        return path.resolve().relative_to(ROOT)
    except ValueError:
        return path


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


def check_kotlin(parser, path):
    source = path.read_bytes()
    lines = source.splitlines()
    failures = 0
    for node, kind in problems(parser.parse(source)):
        failures += 1
        if failures <= 20:
            line, column = node.start_point
            text = lines[line].decode(errors="replace").strip() if line < len(lines) else ""
            print(f"{shown(path)}:{line + 1}:{column + 1}: {kind}: {text[:120]}")
    return failures


def check_xml(path):
    try:
        ElementTree.parse(path)
        return 0
    except ElementTree.ParseError as e:
        line, column = e.position
        print(f"{shown(path)}:{line}:{column + 1}: XML: {e}")
        return 1


def check_json(path):
    try:
        json.loads(path.read_text())
        return 0
    except json.JSONDecodeError as e:
        print(f"{shown(path)}:{e.lineno}:{e.colno}: JSON: {e.msg}")
        return 1


def main(argv):
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_kotlin.language()))
    kotlin = sample_files((".kt", ".kts"), argv)
    xml = sample_files((".xml",), argv)
    json_files = sample_files((".json",), argv)
    if not kotlin and not argv:
        sys.exit("check-kotlin-syntax: no Kotlin files found under android-sample/")
    failures = sum(check_kotlin(parser, p) for p in kotlin)
    failures += sum(check_xml(p) for p in xml)
    failures += sum(check_json(p) for p in json_files)
    checked = f"{len(kotlin)} Kotlin, {len(xml)} XML, {len(json_files)} JSON file(s)"
    if failures:
        print(f"check-kotlin-syntax: {failures} problem(s) in {checked}")
        return 1
    print(f"check-kotlin-syntax: {checked} parse cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
