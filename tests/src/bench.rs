//! Support for the benchmark binaries that measure one process while the sandbox runs in
//! another (`bench_memory`, `bench_cold`): a sandbox's memory and threads must not count
//! against the client's.
//!
//! A benchmark binary re-executes itself with [`SANDBOX_CHILD`] as its first argument; that
//! process serves a sandbox ([`serve_sandbox_child`]) until its stdin closes, and prints the base
//! URL on its first line, which [`spawn_sandbox`] reads.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use obauth_sandbox::{Sandbox, SandboxConfig};

/// First argument of a benchmark binary's sandbox process.
pub const SANDBOX_CHILD: &str = "--sandbox-child";

/// A sandbox in a child process (this executable, [`SANDBOX_CHILD`], the given poll window cap
/// in milliseconds). Killed when dropped.
pub struct SandboxProcess {
    child: Child,
    /// The sandbox's base URL.
    pub base_url: String,
}

/// Starts a sandbox process whose status endpoint holds a poll at most `max_poll` (zero: it
/// answers at once).
pub fn spawn_sandbox(max_poll: Duration) -> SandboxProcess {
    let exe = std::env::current_exe().expect("the benchmark knows its executable");
    let mut child = Command::new(exe)
        .args([SANDBOX_CHILD, &max_poll.as_millis().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the sandbox process starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("the sandbox process prints its URL");
    SandboxProcess {
        child,
        base_url: line.trim().to_owned(),
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sandbox process's main: `args` are the arguments after [`SANDBOX_CHILD`].
pub fn serve_sandbox_child(args: &[String]) {
    let max_poll_ms: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(120_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime for the sandbox");
    let sandbox = runtime.block_on(async {
        Sandbox::start(SandboxConfig {
            max_poll_timeout: Duration::from_millis(max_poll_ms),
            ..SandboxConfig::default()
        })
        .await
        .expect("the sandbox binds a loopback port")
    });
    println!("{}", sandbox.base_url());
    // Serve until the benchmark closes our stdin (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(sandbox);
}

/// This process's resident set size in bytes (`VmRSS` of `/proc/self/status`; Linux only).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// The `p`-th percentile (0–100) of `values` (sorted in place), nearest rank.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// The numbers a measuring child process printed on its stdout line, in order (anything else
/// on the line is skipped), with the line itself for assertion messages.
pub fn printed_numbers(stdout: &[u8]) -> (String, Vec<f64>) {
    let line = String::from_utf8_lossy(stdout).into_owned();
    let numbers = line
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    (line, numbers)
}
