//! What the CLI contract tests share: running the real `obauth` binary and reading its outputs,
//! and an in-process sandbox to run it against.

#![allow(dead_code)]

use std::time::Duration;

use obauth_sandbox::{Sandbox, SandboxConfig};
use tokio::process::Command;

/// The sandbox's client secret, which must never be printed.
pub const SECRET: &str = "sandbox-client-secret";
/// The app-link redirect the sandbox has registered.
pub const APP_LINK: &str = "https://app.example.com/aiia/callback";

/// A finished `obauth` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        let lines: Vec<&str> = self
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "exactly one stdout line: {:?}", self.stdout);
        serde_json::from_str(lines[0]).expect("stdout is JSON")
    }

    pub fn error_line(&self) -> &str {
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "exactly one error line in {:?}",
            self.stderr
        );
        errors[0]
    }

    /// Neither the client secret nor `others` appear on stderr (nor, for the secret, stdout).
    pub fn assert_no_secret(&self, others: &[&str]) {
        assert!(
            !self.stdout.contains(SECRET) && !self.stderr.contains(SECRET),
            "secret printed"
        );
        for other in others {
            assert!(!self.stderr.contains(other), "{other} printed to stderr");
        }
    }
}

/// A sandbox on a random loopback port (and the crypto provider the tests' own HTTP clients need).
pub async fn sandbox() -> Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Sandbox::start(SandboxConfig::default()).await.unwrap()
}

/// Runs `cmd` to the end (at most a minute) and collects its outputs.
pub async fn run(mut cmd: Command) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("obauth finished")
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}
