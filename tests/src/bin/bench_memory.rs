//! Benchmark: resident memory per in-flight supervised login, and per held long-poll.
//!
//! Run with `cargo run -p obauth-e2e --release --bin bench_memory [N]` (N = 1000 by default).
//! The sandbox runs in a child process (`obauth_e2e::bench`), so the figures are the client
//! process's only. Each mode runs in a fresh measuring process (a process's resident memory
//! does not shrink back after a round), which:
//!
//! 1. builds one `Client` on ObAuth's own runtime (`obauth::host::runtime()`: the thread and
//!    current-thread tokio runtime the mobile library uses), runs a few warm-up logins to
//!    AwaitingUser and cancels them, and reads its resident set size (`VmRSS`);
//! 2. starts N supervised logins whose users never finish (the sandbox's `WaitForPage`), waits
//!    until every one is AwaitingUser and its status poll has been sent, and reads `VmRSS`
//!    again: (after − before) / N is the memory of one in-flight login.
//!
//! Modes: **held** — the sandbox holds each status long-poll (up to 30 s), so every login has
//! a request in flight on its own connection; **answered** — the sandbox answers each poll at
//! once (`InProgress`), so every login waits out its window on a timer with no request in flight
//! (its connection idles in the pool). held − answered is what one held long-poll costs.
//! Loopback plain HTTP: a real provider adds rustls's per-connection state (buffers, keys).

use std::process::Command;
use std::time::{Duration, Instant};

use obauth::{Client, ClientConfig, LoginState, SupervisedLogin, SupervisedLoginParams};
use obauth_e2e::REDIRECT_URL;
use obauth_e2e::bench::{
    SANDBOX_CHILD, printed_numbers, rss_bytes, serve_sandbox_child, spawn_sandbox,
};

const MEASURE_CHILD: &str = "--measure-child";
const WARM_UP: usize = 20;
const POLL_WINDOW: Duration = Duration::from_secs(30);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(SANDBOX_CHILD) => serve_sandbox_child(&args[1..]),
        Some(MEASURE_CHILD) => measure(&args[1], args[2].parse().expect("N")),
        n => orchestrate(n.and_then(|n| n.parse().ok()).unwrap_or(1000)),
    }
}

/// Runs both modes, each with its own sandbox and measuring process, and prints the table.
fn orchestrate(n: usize) {
    let exe = std::env::current_exe().expect("the benchmark knows its executable");
    let mut rows = Vec::new();
    for (mode, max_poll) in [("held", POLL_WINDOW), ("answered", Duration::ZERO)] {
        let sandbox = spawn_sandbox(max_poll);
        let out = Command::new(&exe)
            .args([MEASURE_CHILD, &sandbox.base_url, &n.to_string()])
            .output()
            .expect("the measuring process runs");
        let (line, fields) = printed_numbers(&out.stdout);
        assert!(
            out.status.success() && fields.len() == 3,
            "{mode}: {line} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        rows.push((mode, fields[0], fields[1], fields[2]));
    }
    println!("| mode | N | RSS before | RSS with N logins in flight | per login |");
    println!("|---|---|---|---|---|");
    for (mode, before, after, _) in &rows {
        println!(
            "| {mode} | {n} | {:.1} MiB | {:.1} MiB | {:.1} KiB |",
            before / 1048576.0,
            after / 1048576.0,
            (after - before) / n as f64 / 1024.0
        );
    }
    let per = |i: usize| (rows[i].2 - rows[i].1) / n as f64 / 1024.0;
    println!(
        "\nper held long-poll (held − answered): {:.1} KiB; setup time held {:.1} s, answered {:.1} s",
        per(0) - per(1),
        rows[0].3,
        rows[1].3
    );
}

/// The measuring process: prints `rss_before rss_after seconds`.
fn measure(base_url: &str, n: usize) {
    let runtime = obauth::host::runtime();
    let config = ClientConfig::new(base_url, "sandbox-client-id", "sandbox-client-secret");
    let client = Client::with_runtime(config, runtime).expect("a valid client configuration");
    let warm: Vec<_> = (0..WARM_UP).map(|i| login(&client, "warm", i)).collect();
    wait_awaiting(&warm);
    warm.iter().for_each(SupervisedLogin::cancel);
    drop(warm);
    std::thread::sleep(Duration::from_millis(500));
    let before = rss_bytes();
    let started = Instant::now();
    let logins: Vec<_> = (0..n).map(|i| login(&client, "bench", i)).collect();
    wait_awaiting(&logins);
    // AwaitingUser comes with the initialize answer; the first status poll leaves right after.
    std::thread::sleep(Duration::from_secs(2));
    let after = rss_bytes();
    println!("{before} {after} {:.2}", started.elapsed().as_secs_f64());
    logins.iter().for_each(SupervisedLogin::cancel);
}

fn login(client: &Client, tag: &str, i: usize) -> SupervisedLogin {
    let mut params = SupervisedLoginParams::new(format!("mem-{tag}-{i:05}"), REDIRECT_URL);
    params.poll_timeout = POLL_WINDOW;
    params.timeout = Duration::from_secs(600);
    let login = client
        .supervised_login(params)
        .expect("valid login parameters");
    login.start();
    login
}

fn wait_awaiting(logins: &[SupervisedLogin]) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let waiting = logins
            .iter()
            .filter(|l| !matches!(l.state(), LoginState::AwaitingUser { .. }))
            .count();
        if waiting == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{waiting} logins never reached AwaitingUser"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
