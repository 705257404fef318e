//! Shared harness code for the fuzz targets in `fuzz_targets/`.
//!
//! The machine targets read a small line-oriented *script* (one command per line, see
//! [`script`]) rather than `arbitrary`-decoded bytes, so the committed corpora are readable and
//! seeded with real provider bodies and redirect URLs; libFuzzer's comparison tracing finds the
//! keywords. `arbitrary` drives the structured snapshot mutations ([`snapshot`]) and the numeric
//! parts of the timestamp target, where no readable seed is needed.
//!
//! Every target checks invariants as it goes and panics when one fails: libFuzzer reports a
//! panic as a crash, exactly like a panic inside the protocol crate.

pub mod authorization;
pub mod common;
pub mod script;
pub mod seeds;
pub mod snapshot;
pub mod supervised;

/// Called from each target's `init`: when `OBAUTH_FUZZ_WRITE_SEEDS` names a directory, writes
/// the target's seed inputs ([`seeds::for_target`]) there and exits. `scripts/fuzz.sh seeds`
/// uses it to (re)create the seed part of `fuzz/corpus/<target>/`.
pub fn maybe_write_seeds(target: &str) {
    let Some(dir) = std::env::var_os("OBAUTH_FUZZ_WRITE_SEEDS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create the seed directory");
    let seeds = seeds::for_target(target);
    for (name, bytes) in &seeds {
        std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("write a seed");
    }
    eprintln!("{target}: wrote {} seeds to {}", seeds.len(), dir.display());
    std::process::exit(0);
}
