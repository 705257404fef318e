//! What the CLI contract tests share: running the real `obauth` binary and reading its outputs,
//! and an in-process sandbox to run it against.

#![allow(dead_code)]

use std::time::Duration;

use obauth_sandbox::{Sandbox, SandboxConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

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

/// A running `obauth`, its stderr read line by line.
pub struct Running {
    child: Child,
    stderr: Lines<BufReader<ChildStderr>>,
    seen: String,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd.spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        Running {
            child,
            stderr,
            seen: String::new(),
        }
    }

    /// Reads stderr up to the `auth_url:` line and returns the URL.
    pub async fn auth_url(&mut self) -> String {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(20), self.stderr.next_line())
                .await
                .expect("auth_url in time")
                .unwrap()
                .unwrap_or_else(|| panic!("stderr closed before auth_url: {}", self.seen));
            self.seen.push_str(&line);
            self.seen.push('\n');
            if let Some(url) = line.strip_prefix("auth_url: ") {
                return url.to_owned();
            }
        }
    }

    /// Writes one line to stdin.
    pub async fn type_line(&mut self, line: &str) {
        let mut stdin = self.child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
        drop(stdin);
    }

    /// Waits for the exit and collects everything.
    pub async fn finish(mut self) -> Run {
        let mut stdout = String::new();
        let mut out = self.child.stdout.take().unwrap();
        tokio::time::timeout(Duration::from_secs(30), out.read_to_string(&mut stdout))
            .await
            .expect("stdout closes")
            .unwrap();
        while let Some(line) = self.stderr.next_line().await.unwrap() {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("obauth exits")
            .unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: self.seen,
        }
    }
}

/// A plain HTTP client that does not follow redirects (the tests play the browser).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}
