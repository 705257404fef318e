//! Benchmark: how fast the core notices a finished login, and how often it polls meanwhile.
//!
//! Run with `cargo run -p obauth-e2e --release --bin bench_detection` (about 20 s). It starts
//! sandboxes in-process and drives the real core against them over loopback, like the e2e tests,
//! but measures instead of asserting:
//!
//! - **Detection latency**: from the instant the sandbox marks a session `Succeeded`
//!   (`SessionInfo::succeeded_at`) to the instant the host's state subscriber receives
//!   `Exchanging` (the code is on its way to the token endpoint). That is the long poll's whole
//!   return trip: the sandbox waking the held request, the response over loopback, the driver
//!   feeding it to the machine, the state reaching the subscriber. 300 logins, approvals spread
//!   over 20–200 ms after initialize, 10 logins at a time on one client. Two approval kinds:
//!   a scripted user (`ApproveAfter`: the sandbox's long poll wakes on a tokio timer, so up to
//!   a millisecond of timer granularity is included) and a completion from outside
//!   (`complete_session`, as the page's form post does: the poll wakes on a channel at once).
//! - **Polling rate**: status requests while a user takes `T` seconds, with poll window `P`,
//!   normalised to requests per window (the design promise: at most one while nothing changes)
//!   and per minute of user time, also scaled to the default `P` = 30 s. Measured against a
//!   provider that holds each poll for the window, and one that answers `InProgress` at once.
//!
//! - **Redirect path**: from `handle_redirect` to the host receiving `Exchanging`. A supervised
//!   redirect is only a hint (it carries no `state`), so the core first asks the provider's
//!   status (`pollTimeout=0`) whether the code is this session's: this row is what that
//!   confirmation costs (before it, the exchange left inside `handle_redirect`, ~0 ms). One
//!   login at a time; the login's first long-poll is held by the sandbox, so the code can only
//!   come by the redirect.
//!
//! It is a binary rather than a `#[test]` because its output is a set of figures, not a verdict,
//! and timing figures from a loaded CI machine would make a flaky test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use obauth::{Client, LoginState, RedirectOutcome};
use obauth_e2e::{REDIRECT_URL, begin, client, outcome, params, peek_code, sandbox_with};
use obauth_sandbox::{Endpoint, Fault, Outcome, Sandbox, SandboxConfig, UserScript};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const LOGINS: usize = 300;
const CONCURRENT: usize = 10;
const MIN_DELAY_MS: u64 = 20;
const MAX_DELAY_MS: u64 = 200;

const RATE_LOGINS: usize = 4;
const USER_TIME: Duration = Duration::from_secs(10);
const WINDOW: Duration = Duration::from_secs(1);
const DEFAULT_WINDOW_SECS: f64 = 30.0;

/// How the sandbox learns that the user approved.
#[derive(Clone, Copy, Debug)]
enum Approval {
    /// `UserScript::ApproveAfter(delay)`: settled by the sandbox at the scripted instant.
    Scripted,
    /// `Sandbox::complete_session` after `delay`, as the hosted page's form post does.
    Completed,
}

/// One login's detection latency.
async fn detect_once(
    sandbox: Arc<Sandbox>,
    client: Client,
    approval: Approval,
    i: usize,
    delay: Duration,
) -> Duration {
    let user = format!("bench-user-{i:04}");
    let script = match approval {
        Approval::Scripted => UserScript::ApproveAfter(delay),
        Approval::Completed => UserScript::WaitForPage,
    };
    sandbox.script_user(&user, script);
    let mut p = params(&user);
    p.poll_timeout = Duration::from_secs(5); // the approval lands inside the first window
    let (login, recorder) = begin(&client, p);
    let (_, session_id) = recorder.awaiting_user().await;
    if let Approval::Completed = approval {
        tokio::time::sleep(delay).await;
        assert!(sandbox.complete_session(&session_id, Outcome::Approve));
    }
    let exchanging = recorder
        .wait_for("exchanging", |s| matches!(s, LoginState::Exchanging { .. }))
        .await;
    outcome(&login).await.expect("authenticated");
    let info = sandbox.session(&session_id).expect("known session");
    let succeeded_at = info.succeeded_at.expect("succeeded");
    exchanging.at.saturating_duration_since(succeeded_at)
}

async fn detection_latency(approval: Approval) -> Vec<Duration> {
    let sandbox = Arc::new(sandbox_with(SandboxConfig::default()).await);
    // One client (one connection pool) for every login, as an app has.
    let client = client(&sandbox);
    let limit = Arc::new(Semaphore::new(CONCURRENT));
    let mut tasks = JoinSet::new();
    for i in 0..LOGINS {
        // A deterministic spread over [20, 200] ms, interleaved so concurrent logins differ.
        let spread = (i as u64 * 37) % (MAX_DELAY_MS - MIN_DELAY_MS + 1);
        let delay = Duration::from_millis(MIN_DELAY_MS + spread);
        let (sandbox, client, limit) = (sandbox.clone(), client.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("open semaphore");
            detect_once(sandbox, client, approval, i, delay).await
        });
    }
    let mut latencies = Vec::with_capacity(LOGINS);
    while let Some(r) = tasks.join_next().await {
        latencies.push(r.expect("no panic"));
    }
    latencies.sort();
    latencies
}

const REDIRECT_LOGINS: usize = 100;

/// `handle_redirect` → `Exchanging`, one login at a time (see the module doc).
async fn redirect_latency() -> Vec<Duration> {
    let sandbox = sandbox_with(SandboxConfig::default()).await;
    let client = client(&sandbox);
    let mut latencies = Vec::with_capacity(REDIRECT_LOGINS);
    for i in 0..REDIRECT_LOGINS {
        let user = format!("redirect-user-{i:04}");
        sandbox.script_user(&user, UserScript::WaitForPage);
        // Hold the login's first long-poll: the code can only come by the redirect.
        sandbox.inject_fault(Endpoint::Status, Fault::Delay(Duration::from_secs(5)));
        let mut p = params(&user);
        p.poll_timeout = Duration::from_secs(5);
        let (login, recorder) = begin(&client, p);
        let (_, session_id) = recorder.awaiting_user().await;
        assert!(sandbox.complete_session(&session_id, Outcome::Approve));
        let code = peek_code(&sandbox, &session_id).await.expect("a code");
        let encoded: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
        let redirect = format!("{REDIRECT_URL}?code={encoded}");
        let started = Instant::now();
        assert_eq!(
            login.handle_redirect(&redirect),
            RedirectOutcome::CodeAccepted
        );
        let exchanging = recorder
            .wait_for("exchanging", |s| matches!(s, LoginState::Exchanging { .. }))
            .await;
        latencies.push(exchanging.at.saturating_duration_since(started));
        outcome(&login).await.expect("authenticated");
    }
    latencies.sort();
    latencies
}

/// Status requests per login while users take [`USER_TIME`] with window [`WINDOW`].
async fn polling_rate(config: SandboxConfig) -> f64 {
    let sandbox = Arc::new(sandbox_with(config).await);
    let client = client(&sandbox);
    let mut tasks = JoinSet::new();
    for i in 0..RATE_LOGINS {
        let (sandbox, client) = (sandbox.clone(), client.clone());
        tasks.spawn(async move {
            let user = format!("rate-user-{i:04}");
            sandbox.script_user(&user, UserScript::ApproveAfter(USER_TIME));
            let mut p = params(&user);
            p.poll_timeout = WINDOW;
            p.timeout = USER_TIME * 3;
            let (login, _recorder) = begin(&client, p);
            outcome(&login).await.expect("authenticated");
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("no panic");
    }
    sandbox.stats().status_requests as f64 / RATE_LOGINS as f64
}

/// Mean time to build a [`Client`] (its TLS configuration loads the platform's trust store).
async fn client_build_time() -> Duration {
    let sandbox = sandbox_with(SandboxConfig::default()).await;
    let started = Instant::now();
    for _ in 0..10 {
        drop(client(&sandbox));
    }
    started.elapsed() / 10
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn latency_row(name: &str, sorted: &[Duration]) {
    let mean = sorted.iter().sum::<Duration>() / sorted.len() as u32;
    println!(
        "| {name} | {} ms | {} ms | {} ms | {} ms | {} ms |",
        ms(percentile(sorted, 0.50)),
        ms(percentile(sorted, 0.90)),
        ms(percentile(sorted, 0.99)),
        ms(*sorted.last().expect("measured")),
        ms(mean),
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let started = Instant::now();
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let scripted = detection_latency(Approval::Scripted).await;
    let completed = detection_latency(Approval::Completed).await;
    let (held, early) = tokio::join!(
        polling_rate(SandboxConfig::default()),
        polling_rate(SandboxConfig {
            max_poll_timeout: Duration::ZERO,
            ..SandboxConfig::default()
        }),
    );
    let client_build = client_build_time().await;
    let redirect = redirect_latency().await;

    println!("## Detection latency and polling rate ({profile} build)\n");
    println!("Command: `cargo run -p obauth-e2e --release --bin bench_detection`\n");
    println!(
        "### Detection latency: sandbox `Succeeded` → host receives `Exchanging`\n\n\
         {LOGINS} logins per row, approval {MIN_DELAY_MS}–{MAX_DELAY_MS} ms after initialize, \
         {CONCURRENT} at a time on one client, poll window 5 s\n"
    );
    println!("| approval | p50 | p90 | p99 | max | mean |");
    println!("|---|---|---|---|---|---|");
    latency_row("scripted (`ApproveAfter`, timer wake)", &scripted);
    latency_row("page / `complete_session` (channel wake)", &completed);
    println!(
        "\n### Redirect path: `handle_redirect` → host receives `Exchanging`\n\n\
         {REDIRECT_LOGINS} logins one at a time; includes the status request (`pollTimeout=0`) \
         that confirms the redirect's code before it is exchanged\n"
    );
    println!("| path | p50 | p90 | p99 | max | mean |");
    println!("|---|---|---|---|---|---|");
    latency_row("redirect, confirmed by the status", &redirect);
    let t = USER_TIME.as_secs_f64();
    let p = WINDOW.as_secs_f64();
    println!(
        "\n### Polling rate: user takes T = {t:.0} s, poll window P = {p:.0} s, {RATE_LOGINS} \
         logins per row\n"
    );
    println!(
        "| provider | status requests per login | per P window | per minute of user time \
         (P = {p:.0} s) | per minute scaled to P = {DEFAULT_WINDOW_SECS:.0} s |"
    );
    println!("|---|---|---|---|---|");
    for (name, per_login) in [
        ("holds each poll for P", held),
        ("answers InProgress at once", early),
    ] {
        let per_window = per_login / (t / p);
        println!(
            "| {name} | {per_login:.2} | {per_window:.2} | {:.1} | {:.2} |",
            per_login / t * 60.0,
            per_window * 60.0 / DEFAULT_WINDOW_SECS,
        );
    }
    println!(
        "\nBuilding a `Client` (TLS setup with the platform verifier) takes {} ms; the figures \
         above share one client, as an app should.",
        ms(client_build)
    );
    println!(
        "\nTotal bench time {:.1} s, {} CPU(s).",
        started.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}
