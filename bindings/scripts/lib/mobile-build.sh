# Sourced by the scripts that build the shipped FFI library (measure-size.sh, build-aar.sh,
# build-xcframework.sh): the one place for how a mobile artefact is compiled.
#
# Why `cargo rustc --crate-type`: bindings/Cargo.toml lists `lib` in crate-type (the Rust tests
# and uniffi-bindgen's workspace need it). With a Rust-linkable crate type present, cargo leaves
# `-C lto` out of the rustc command line, so `lto = true` in the profile never reached the
# shipped library (6,196 GOT entries, a 56.7 MB iOS archive). Building one crate type at a time
# makes cargo pass `-C lto` for the cdylib / staticlib it produces.
#
# Why the remapping: panic locations embed source paths; the build machine's paths (worktree,
# vendored or registry sources) would otherwise ship in every binary.

# ROOT must be set by the caller (the repository root).
obauth_mobile_rustflags() {
    local flags=("--remap-path-prefix=$ROOT=obauth")
    local cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    flags+=("--remap-path-prefix=$cargo_home=cargo")
    # The offline kit's vendored sources (a `directory = "..."` source in .cargo/config.toml).
    local vendor
    vendor="$(sed -n 's/^directory *= *"\(.*\)"/\1/p' "$ROOT/.cargo/config.toml" 2>/dev/null | head -n1)"
    [[ -n "$vendor" ]] && flags+=("--remap-path-prefix=$vendor=vendor")
    echo "${flags[*]}"
}

# cargo_mobile_lib CRATE_TYPE PACKAGE [cargo rustc args...]
# Builds PACKAGE's library as exactly CRATE_TYPE (cdylib | staticlib) with the release-mobile
# profile, so that the profile's LTO is applied.
cargo_mobile_lib() {
    local crate_type="$1" package="$2"
    shift 2
    cargo rustc --lib -p "$package" --profile release-mobile --crate-type "$crate_type" "$@"
}

# The flavour of the library, from OBAUTH_FLAVOUR: `default` (reqwest over rustls inside the
# library) or `platform` (no HTTP client and no TLS stack: the app installs an HttpTransport,
# bindings/src/transport.rs). Prints the cargo arguments that select it.
obauth_flavour_args() {
    case "${OBAUTH_FLAVOUR:-default}" in
        default) ;;
        platform) echo "--no-default-features" ;;
        *) echo "OBAUTH_FLAVOUR must be default or platform, not ${OBAUTH_FLAVOUR}" >&2; return 1 ;;
    esac
}

# obauth_host_library FLAVOUR [PROFILE]: the path of the host (unstripped) library generate.sh
# builds and reads for FLAVOUR and PROFILE (debug by default), which the tests load and
# build-aar.sh takes its metadata map from. The default flavour stays where cargo puts it; another
# flavour is kept under target/flavours/, because the next default build replaces the file in
# target/<profile>/.
obauth_host_library() {
    local flavour="$1" profile="${2:-debug}" dir ext
    if [[ "$flavour" == default ]]; then
        dir="$ROOT/target/$profile"
    elif [[ "$profile" == debug ]]; then
        dir="$ROOT/target/flavours/$flavour"
    else
        dir="$ROOT/target/flavours/$flavour/$profile"
    fi
    case "$(uname -s)" in
        Darwin) ext=dylib ;;
        *) ext=so ;;
    esac
    echo "$dir/libobauth_ffi.$ext"
}

# obauth_metadata_version_script LIBRARY MAP
# Writes MAP, a linker version script that makes the UniFFI metadata statics (`UNIFFI_META_*`,
# one per export, type and namespace: ≈ 48 KB) local, so that `--gc-sections` drops them from a
# shipped library linked with `obauth_metadata_link_args MAP`. LIBRARY is a host build of the
# same crate and flavour (the unstripped debug library generate.sh builds, which uniffi-bindgen
# reads the metadata from): the metadata's names depend only on the exported items, not on the
# target or profile, so one map serves every ABI. Nothing reads the metadata at run time (the
# bindings call the exported checksum functions, which stay). The names are listed one by one
# because rustc's own version script names every exported symbol exactly, and an exact name
# wins over a wildcard (`UNIFFI_META_*;` alone changes nothing).
obauth_metadata_version_script() {
    local library="$1" map="$2"
    {
        echo "{"
        echo "  local:"
        obauth_library_symbols "$library" | awk '/^UNIFFI_META_/ { print "    " $0 ";" }'
        echo "};"
    } >"$map"
}

# obauth_metadata_link_args MAP: the rustc arguments, one per line (`mapfile`), for the library
# crate only (after `--` of `cargo rustc`) that link with MAP. `--undefined-version`: LLD
# refuses a version script naming a symbol the output does not define, and a map from the host
# build may name one that a target's build lacks.
obauth_metadata_link_args() {
    printf '%s\n' -C "link-arg=-Wl,--version-script=$1" -C "link-arg=-Wl,--undefined-version"
}

# obauth_library_symbols LIBRARY: the global symbols LIBRARY defines (for a shared library: what
# it exports), C names (a Mach-O library's leading underscore removed), with `nm` or the `NM`
# given (the NDK's llvm-nm reads both an Android library and a macOS host library).
obauth_library_symbols() {
    local macho=0
    case "$(od -An -tx1 -N4 "$1" | tr -d ' \n')" in
        cffaedfe | cefaedfe) macho=1 ;;
    esac
    "${NM:-nm}" --extern-only --defined-only "$1" |
        awk -v macho="$macho" '{ s = $NF; if (macho) sub(/^_/, "", s); print s }'
}

# obauth_exports_of LIBRARY: its exports other than UniFFI's metadata (the functions the bindings
# call), sorted.
obauth_exports_of() { obauth_library_symbols "$1" | awk '!/^UNIFFI_META_/' | sort; }
