//! The snapshot records are frozen to the format the first implementation wrote: every golden
//! file in `tests/fixtures/snapshots/v1/` restores into its machine and is written back byte for
//! byte. (The end-to-end suite, `tests/tests/oauth/golden_snapshots.rs`, drives the restored
//! flows to their end against the sandbox; this is the quick, offline half.)

use std::path::PathBuf;

use obauth_protocol::authorization::AuthorizationMachine;
use obauth_protocol::config::{ClientConfig, Credentials};
use obauth_protocol::flow::Flow;
use obauth_protocol::snapshot::FlowKind;
use obauth_protocol::supervised::SupervisedLoginMachine;

/// What stands for the producing sandbox's base URL in the golden files.
const PLACEHOLDER: &str = "http://127.0.0.1:PORT_PLACEHOLDER";
/// Any valid base URL: nothing is sent.
const BASE: &str = "http://127.0.0.1:1";

fn creds(client_id: &str) -> Credentials {
    ClientConfig::new(BASE, client_id, "sandbox-client-secret")
        .validate()
        .unwrap()
}

fn golden_files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/snapshots/v1");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("the golden directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().unwrap() != "expected.json")
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p)
                .unwrap()
                .replace(PLACEHOLDER, BASE);
            (name, text)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_golden_snapshot_is_rewritten_byte_for_byte() {
    let files = golden_files();
    assert!(files.len() >= 30, "found {} golden files", files.len());
    for (name, text) in files {
        let kind = name.split_once('-').unwrap().0;
        let authorization = |client_id, kind| {
            AuthorizationMachine::restore(&creds(client_id), &text, kind)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .snapshot()
        };
        let rewritten = match kind {
            "supervised_login" => {
                SupervisedLoginMachine::restore(creds("sandbox-client-id"), &text)
                    .unwrap_or_else(|e| panic!("{name}: {e}"))
                    .snapshot()
            }
            "aiia_connect" => authorization("sandbox-client-id", FlowKind::AiiaConnect),
            "pkce" => authorization("sandbox-public-client", FlowKind::Pkce),
            other => panic!("{name}: unknown kind {other}"),
        };
        assert_eq!(rewritten.expect("writes"), text, "{name}");
    }
}
