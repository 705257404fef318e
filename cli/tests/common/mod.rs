//! What the CLI contract tests share: running the real `obauth` binary and reading its outputs
//! (to the end with [`run`], or line by line while it waits for the user with [`Running`]), an
//! in-process sandbox to run it against, and the browser's part on the provider's pages.

#![allow(dead_code)]

use std::process::Stdio;
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

/// The environment variables `obauth` reads credentials from; no test inherits them from the
/// shell that runs it (each sets the ones it means).
const CREDENTIAL_VARIABLES: [&str; 5] = [
    "OBAUTH_CLIENT_ID",
    "OBAUTH_CLIENT_SECRET",
    "OBAUTH_APP_TOKEN",
    "OBAUTH_LOGIN_TOKEN",
    "OBAUTH_REFRESH_TOKEN",
];

/// `obauth ARGS` as the tests start it: stdin empty (pipe it to type a redirect), both outputs
/// piped, killed if the test ends first, no credentials from the environment.
pub fn obauth_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_obauth"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for var in CREDENTIAL_VARIABLES {
        cmd.env_remove(var);
    }
    cmd
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
            let line = tokio::time::timeout(Duration::from_secs(30), self.stderr.next_line())
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

/// A loopback redirect on a port nobody listens on yet (`obauth` listens there).
pub fn loopback_redirect() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}/callback")
}

/// A JSON object's keys, sorted.
pub fn sorted_keys(json: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = json
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort_unstable();
    keys
}

/// Plays the user on a provider's consent or sign-in `page` (HTML with a hidden `request`
/// field): posts `decision` to `decision_url` and returns the `Location` back to the app.
pub async fn submit_decision(page: &str, decision_url: &str, decision: &str) -> String {
    let marker = "name=\"request\" value=\"";
    let start = page.find(marker).expect("a request field") + marker.len();
    let request = &page[start..start + page[start..].find('"').unwrap()];
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("request", request)
        .append_pair("decision", decision)
        .finish();
    let answer = http()
        .post(decision_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    answer.headers()["location"].to_str().unwrap().to_owned()
}

/// Follows the provider's redirects from `auth_url` (a consent script decides at once) until
/// one leads to the app's `redirect`; returns that `Location`.
pub async fn follow_to_app(sandbox: &Sandbox, auth_url: &str, redirect: &str) -> String {
    let mut next = auth_url.to_owned();
    for _ in 0..5 {
        let answer = http().get(&next).send().await.unwrap();
        assert_eq!(answer.status(), 302, "{next}");
        next = answer.headers()["location"].to_str().unwrap().to_owned();
        if next.starts_with(redirect) {
            return next;
        }
        if next.starts_with('/') {
            next = format!("{}{next}", sandbox.base_url());
        }
    }
    panic!("no redirect to the app");
}

/// The redirect `location` with its `state` changed in the first character: a forged redirect.
pub fn forge_state(location: &str, state: &str) -> String {
    let forged_state = format!(
        "{}{}",
        if state.starts_with('A') { "B" } else { "A" },
        &state[1..]
    );
    location.replacen(
        &format!("state={state}"),
        &format!("state={forged_state}"),
        1,
    )
}
