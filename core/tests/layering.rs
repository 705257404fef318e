//! The protocol crate stays sans-IO: its manifest names no async runtime, HTTP client, TLS stack
//! or random source, and its code reads no clock. The compiler enforces the dependency side
//! (a crate cannot use what it does not depend on); this test keeps the manifest from quietly
//! gaining such a dependency and the code from reading the system clock, which `std` alone allows.

use std::path::{Path, PathBuf};

const FORBIDDEN_CRATES: &[&str] = &[
    "tokio",
    "reqwest",
    "hyper",
    "rustls",
    "rustls-platform-verifier",
    "getrandom",
    "rand",
    "ring",
    "futures",
];

const FORBIDDEN_CALLS: &[&str] = &[
    "SystemTime::now",
    "Instant::now",
    "thread::sleep",
    "std::fs::",
    "std::net::",
];

fn protocol_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../protocol")
}

#[test]
fn protocol_manifest_has_no_io_dependencies() {
    let manifest = std::fs::read_to_string(protocol_dir().join("Cargo.toml")).unwrap();
    let mut section = String::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        if !section.contains("dependencies") || line.starts_with('#') || line.is_empty() {
            continue;
        }
        let name = line
            .split(['=', '.', ' '])
            .next()
            .unwrap_or_default()
            .trim_matches('"');
        assert!(
            !FORBIDDEN_CRATES.contains(&name),
            "obauth-protocol must not depend on {name} (section {section})"
        );
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn protocol_code_reads_no_clock_and_does_no_io() {
    let mut files = Vec::new();
    rust_files(&protocol_dir().join("src"), &mut files);
    assert!(files.len() > 10, "protocol sources not found");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for call in FORBIDDEN_CALLS {
                assert!(
                    !code.contains(call),
                    "{}:{}: the protocol crate must not use {call}",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}
