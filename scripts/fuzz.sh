#!/usr/bin/env bash
# Fuzzing obauth-protocol with libFuzzer (fuzz/, README "Fuzzing").
#
#   scripts/fuzz.sh build                 build every target (instrumented, debug profile)
#   scripts/fuzz.sh smoke [SECONDS]       every target on its committed corpus for SECONDS
#                                         (default 10); fails on any crash, leak or time-out.
#                                         A fixed seed (-seed=1): the mutation sequence is the
#                                         same on every machine, so a slower machine runs a
#                                         prefix of what a passing local run ran, and CI does
#                                         not go red on a new random find (use `run` to explore)
#   scripts/fuzz.sh run TARGET SECONDS [LIBFUZZER OPTION...]
#                                         a longer local run; new inputs go to fuzz/work/TARGET
#   scripts/fuzz.sh merge TARGET          minimise fuzz/corpus/TARGET + fuzz/work/TARGET back into
#                                         fuzz/corpus/TARGET (-merge=1 as an edge cover; the
#                                         seed-* files stay)
#   scripts/fuzz.sh seeds [TARGET]        (re)write the seed-* inputs of fuzz/src/seeds.rs
#   scripts/fuzz.sh list                  the targets
#
# Offline like every build here: cargo runs from the repository root, so it reads the
# .cargo/config.toml that scripts/offline-kit.sh writes (vendored crates). Stable Rust is
# enough: the coverage instrumentation comes from RUSTFLAGS, and the explicit --target keeps
# those flags off build scripts and proc macros. The binaries go to fuzz/target (git-ignored);
# crash inputs to fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(redirect navigation supervised_responses authorization_responses token_and_discovery
    headers_timestamps snapshot_restore)
TRIPLE=x86_64-unknown-linux-gnu
BIN_DIR="fuzz/target/$TRIPLE/debug"

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

known_target() {
    local t
    for t in "${TARGETS[@]}"; do [[ "$t" == "$1" ]] && return 0; done
    echo "fuzz: unknown target '$1' (scripts/fuzz.sh list)" >&2
    exit 2
}

build() {
    scripts/offline-kit.sh >/dev/null
    RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions" \
    CARGO_TARGET_DIR=fuzz/target \
        cargo build --locked --manifest-path fuzz/Cargo.toml --target "$TRIPLE" --bins
}

need_binaries() {
    local t
    for t in "${TARGETS[@]}"; do
        if [[ ! -x "$BIN_DIR/$t" ]]; then
            build
            return
        fi
    done
}

# The final statistics of a libFuzzer log: "execs N cov: X ft: Y corp: A/B".
stats() {
    local log="$1" done_line runs
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
    runs="$(sed -nE 's/^Done ([0-9]+) runs.*/\1/p' "$log" | tail -1)"
    echo "execs ${runs:-?} $(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' \
        <<<"$done_line" || echo 'cov: ?')"
}

# Runs TARGET for SECONDS on its corpus (read only) plus NEW_DIR (new inputs); prints one line.
fuzz_one() {
    local t="$1" secs="$2" new_dir="$3"
    shift 3
    local log start end
    log="$(mktemp)"
    mkdir -p "$new_dir" "fuzz/artifacts/$t" "fuzz/corpus/$t"
    start=$(date +%s)
    if "$BIN_DIR/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$t/" "$@" "$new_dir" "fuzz/corpus/$t" >"$log" 2>&1; then
        end=$(date +%s)
        echo "fuzz: $t ok in $((end - start)) s, $(stats "$log")"
        rm -f "$log"
        return 0
    fi
    end=$(date +%s)
    echo "fuzz: $t FAILED after $((end - start)) s; log: $log; crash input: $(grep -oE \
        'Test unit written to [^ ]+' "$log" | sed 's/Test unit written to //' || echo '?')"
    grep -m1 -A4 -E 'panicked at|ERROR: libFuzzer' "$log" | sed 's/^/    /' || true
    return 1
}

cmd="${1:-}"
case "$cmd" in
    build)
        build
        ;;
    smoke)
        secs="${2:-10}"
        need_binaries
        passed=0
        failed=0
        scratch="$(mktemp -d)"
        for t in "${TARGETS[@]}"; do
            if fuzz_one "$t" "$secs" "$scratch/$t" -seed=1; then
                passed=$((passed + 1))
            else
                failed=$((failed + 1))
            fi
        done
        rm -rf "$scratch"
        echo "fuzz: $passed passed, $failed failed"
        [[ "$failed" -eq 0 ]]
        ;;
    run)
        [[ $# -ge 3 ]] || usage
        known_target "$2"
        need_binaries
        t="$2"
        secs="$3"
        shift 3
        fuzz_one "$t" "$secs" "fuzz/work/$t" "$@"
        ;;
    merge)
        [[ $# -eq 2 ]] || usage
        known_target "$2"
        need_binaries
        t="$2"
        merged="$(mktemp -d)"
        cp "fuzz/corpus/$t"/seed-* "$merged"/ 2>/dev/null || true
        mkdir -p "fuzz/work/$t"
        # An edge cover (not every hit-count feature): a small corpus to commit.
        "$BIN_DIR/$t" -merge=1 -set_cover_merge=1 -use_counters=0 -timeout=10 \
            "$merged" "fuzz/corpus/$t" "fuzz/work/$t" \
            >"$merged.log" 2>&1 || { cat "$merged.log"; exit 1; }
        rm -f "fuzz/corpus/$t"/*
        cp "$merged"/* "fuzz/corpus/$t"/
        rm -rf "$merged" "$merged.log"
        echo "fuzz: $t corpus: $(find "fuzz/corpus/$t" -type f | wc -l) files, $(cat \
            "fuzz/corpus/$t"/* | wc -c) bytes"
        ;;
    seeds)
        need_binaries
        for t in "${@:2}"; do known_target "$t"; done
        list=("${TARGETS[@]}")
        [[ $# -ge 2 ]] && list=("${@:2}")
        for t in "${list[@]}"; do
            OBAUTH_FUZZ_WRITE_SEEDS="fuzz/corpus/$t" "$BIN_DIR/$t"
        done
        ;;
    list)
        printf '%s\n' "${TARGETS[@]}"
        ;;
    *)
        usage
        ;;
esac
