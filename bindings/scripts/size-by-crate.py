#!/usr/bin/env python3
"""Function bytes of an unstripped library, grouped by the crate that leads each symbol's name
(BENCHMARKS.md, "Where the bytes go"; issue 13). `nm -S --size-sort -C` underneath.

    bindings/scripts/size-by-crate.py target/size/out/ffi.so              # bytes per crate
    bindings/scripts/size-by-crate.py target/size/out/ffi.so 'serde' 30   # the 30 largest
                                                                          # symbols matching a regex

A generic function counts for the crate that defines it (`core::slice::sort` instantiated for
an ObAuth type counts under `core`); `uniffi-scaffold` is the generated `uniffi_*` / `ffi_*`
functions. Run bindings/scripts/measure-size.sh first: it keeps the unstripped copies.
"""
import collections
import re
import subprocess
import sys


def symbols(library):
    out = subprocess.run(["nm", "-S", "--size-sort", "-C", library],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[2] in "tTwW":
            yield int(parts[1], 16), parts[3]


def crate_of(name):
    bare = re.sub(r"^(<|&|\(|dyn |mut |\*const |\*mut )+", "", name)
    if bare.startswith(("uniffi_", "ffi_")):
        return "uniffi-scaffold"
    return re.split(r"::|<|>| |\(", bare)[0]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rows = list(symbols(sys.argv[1]))
    if len(sys.argv) > 2:
        pattern = re.compile(sys.argv[2])
        limit = int(sys.argv[3]) if len(sys.argv) > 3 else 40
        chosen = sorted((r for r in rows if pattern.search(r[1])), reverse=True)
        print(f"{sum(s for s, _ in chosen)} bytes in {len(chosen)} symbols")
        for size, name in chosen[:limit]:
            print(size, name[:200])
        return
    totals = collections.Counter()
    for size, name in rows:
        totals[crate_of(name)] += size
    for crate, size in totals.most_common(30):
        print(f"{size:8d} {crate}")
    print(f"{sum(totals.values()):8d} all functions")


if __name__ == "__main__":
    main()
