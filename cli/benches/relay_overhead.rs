//! What `obauth relay` adds, for many concurrent logins through one instance.
//!
//! ```sh
//! cargo bench -p obauth-cli --bench relay_overhead                 # release ("bench" profile)
//! cargo bench -p obauth-cli --bench relay_overhead --profile dev   # debug build
//! OBAUTH_BENCH_LOGINS=500 …                                        # the number of logins
//! ```
//!
//! The sandbox runs in this process; the relay is the real `obauth` binary of the same build
//! (`obauth relay`, a child process, so its resident memory is its own). Devices are plain HTTP
//! clients sending exactly what the core sends, so the figures are the relay's and not the
//! core's. For N logins at once, direct (partner headers, straight to the sandbox) and through
//! the relay (app token):
//!
//! 1. initialize every login;
//! 2. status round trip: every login asks for its status (`pollTimeout=0`) four times in a row,
//!    all logins at once;
//! 3. long-poll wake: every login holds a status long-poll (`pollTimeout=20`); with all N held,
//!    the relay's resident memory (VmRSS) is read; then each session is approved in turn
//!    (`Sandbox::complete_session`, as the bank page's form post does) and the time from the
//!    approval to the device's answer is recorded;
//! 4. exchange: every login exchanges its code at once (through the relay: its confirming status
//!    call plus the token call).
//!
//! While the N long-polls are held (step 3), 200 more logins run one at a time (initialize,
//! approve, status, exchange): the relay's cost per request under the load of N held logins,
//! without the queueing of a burst. Steps 2 and 4 are bursts: all N at once on two cores.
//!
//! Prints markdown tables (BENCHMARKS.md). Every request goes to loopback; the run is bounded.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use obauth_sandbox::{Outcome, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;
use tokio::task::JoinSet;

const REDIRECT: &str = "https://app.example.com/aiia/callback";
const RELAY_KEY: &str = "bench-relay-key-0123456789abcdef-0123456789abcdef";
const APP_SECRET: &str = "bench-app-token-secret-0123456789abcdef-0123";
const POLL_SECS: u64 = 25;
/// Logins run one at a time while the N long-polls are held.
const PACED: usize = 200;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Direct,
    Relay,
}

/// Where a device sends its requests, and how it authenticates.
#[derive(Clone)]
struct Target {
    mode: Mode,
    base: String,
    client_id: String,
    client_secret: String,
}

impl Target {
    fn request(&self, req: reqwest::RequestBuilder, sub: &str) -> reqwest::RequestBuilder {
        match self.mode {
            Mode::Direct => req
                .header("x-client-id", &self.client_id)
                .header("x-client-secret", &self.client_secret),
            Mode::Relay => req.bearer_auth(app_token(sub)),
        }
    }
}

/// One login of the run: its subject (relay) or userHash (direct), and its session id or handle.
struct Login {
    sub: String,
    session: String,
    /// The provider's session id (to approve it at the sandbox).
    provider_session: String,
}

/// The app token of `sub`, minted once (the device caches its token; minting is not the relay's
/// cost).
fn app_token(sub: &str) -> String {
    static TOKENS: std::sync::OnceLock<std::sync::Mutex<HashMap<String, String>>> =
        std::sync::OnceLock::new();
    let cache = TOKENS.get_or_init(Default::default);
    if let Some(token) = cache.lock().unwrap().get(sub) {
        return token.clone();
    }
    let token = mint(sub);
    cache.lock().unwrap().insert(sub.to_owned(), token.clone());
    token
}

fn mint(sub: &str) -> String {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({ "sub": sub, "exp": exp }),
        &jsonwebtoken::EncodingKey::from_secret(APP_SECRET.as_bytes()),
    )
    .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// `a - b` in milliseconds, with its sign (a tail can come out lower through the relay).
fn signed_ms(a: Duration, b: Duration) -> String {
    format!("{:+.2} ms", (a.as_secs_f64() - b.as_secs_f64()) * 1000.0)
}

struct Stats {
    p50: Duration,
    p99: Duration,
    n: usize,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort_unstable();
    Stats {
        p50: percentile(&samples, 50.0),
        p99: percentile(&samples, 99.0),
        n: samples.len(),
    }
}

/// The relay process's resident memory in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn json_of(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn initialize(
    http: &reqwest::Client,
    target: &Target,
    sandbox: &Sandbox,
    n: usize,
) -> Vec<Login> {
    let mut set = JoinSet::new();
    for i in 0..n {
        let (http, target) = (http.clone(), target.clone());
        set.spawn(async move {
            let sub = user(&target, "user", i);
            let _ = app_token(&sub);
            let mut body = json!({ "redirectUrl": REDIRECT });
            if target.mode == Mode::Direct {
                body["userHash"] = json!(sub);
            }
            let req = http
                .post(format!("{}/v1/authentication/initialize", target.base))
                .header("content-type", "application/json")
                .body(body.to_string());
            let v = json_of(target.request(req, &sub).send().await.unwrap()).await;
            (sub, v["sessionId"].as_str().unwrap().to_owned())
        });
    }
    let started: Vec<(String, String)> = set.join_all().await;
    // The provider's session ids, by userHash (the relay derives it from the subject).
    let sessions = sandbox.sessions();
    started
        .into_iter()
        .map(|(sub, session)| {
            let user_hash = match target.mode {
                Mode::Direct => sub.clone(),
                Mode::Relay => obauth_relay::derive_user_hash(RELAY_KEY.as_bytes(), "", &sub),
            };
            let provider_session = sessions
                .iter()
                .rev()
                .find(|s| s.user_hash == user_hash)
                .expect("a sandbox session")
                .session_id
                .clone();
            Login {
                sub,
                session,
                provider_session,
            }
        })
        .collect()
}

fn user(target: &Target, kind: &str, i: usize) -> String {
    match target.mode {
        Mode::Direct => format!("bench-direct-{kind}-{i:05}"),
        Mode::Relay => format!("bench-relay-{kind}-{i:05}"),
    }
}

/// Paced requests while the long-polls are held: `m` more logins, one after the other, each
/// initialized, approved, asked for its status (`pollTimeout=0`, which brings the code) and
/// exchanged. Returns (initialize, status, exchange) latencies.
async fn paced(
    http: &reqwest::Client,
    target: &Target,
    sandbox: &Sandbox,
    m: usize,
) -> (Vec<Duration>, Vec<Duration>, Vec<Duration>) {
    let (mut init, mut status, mut exchange) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..m {
        let sub = user(target, "probe", i);
        let _ = app_token(&sub);
        let mut body = json!({ "redirectUrl": REDIRECT });
        if target.mode == Mode::Direct {
            body["userHash"] = json!(sub);
        }
        let t = Instant::now();
        let req = http
            .post(format!("{}/v1/authentication/initialize", target.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        let v = json_of(target.request(req, &sub).send().await.unwrap()).await;
        init.push(t.elapsed());
        let session = v["sessionId"].as_str().unwrap().to_owned();
        let user_hash = match target.mode {
            Mode::Direct => sub.clone(),
            Mode::Relay => obauth_relay::derive_user_hash(RELAY_KEY.as_bytes(), "", &sub),
        };
        let provider = sandbox
            .sessions()
            .into_iter()
            .rev()
            .find(|s| s.user_hash == user_hash)
            .expect("a sandbox session")
            .session_id;
        assert!(sandbox.complete_session(&provider, Outcome::Approve));
        let t = Instant::now();
        let req = http.get(format!(
            "{}/v1/authentication/{session}/status?pollTimeout=0",
            target.base
        ));
        let v = json_of(target.request(req, &sub).send().await.unwrap()).await;
        status.push(t.elapsed());
        let code = v["code"].as_str().expect("a code").to_owned();
        let t = Instant::now();
        let req = http
            .post(format!("{}/v1/authentication/tokens", target.base))
            .header("content-type", "application/json")
            .body(json!({ "code": code, "sessionId": session }).to_string());
        json_of(target.request(req, &sub).send().await.unwrap()).await;
        exchange.push(t.elapsed());
    }
    (init, status, exchange)
}

fn status_url(target: &Target, login: &Login, poll: u64) -> String {
    format!(
        "{}/v1/authentication/{}/status?pollTimeout={poll}",
        target.base, login.session
    )
}

/// Four status round trips per login, all logins at once.
async fn status_round_trips(
    http: &reqwest::Client,
    target: &Target,
    logins: &Arc<Vec<Login>>,
) -> Vec<Duration> {
    let mut set = JoinSet::new();
    for i in 0..logins.len() {
        let (http, target, logins) = (http.clone(), target.clone(), logins.clone());
        set.spawn(async move {
            let login = &logins[i];
            let mut times = Vec::new();
            for _ in 0..4 {
                let t = Instant::now();
                let req = http.get(status_url(&target, login, 0));
                let v = json_of(target.request(req, &login.sub).send().await.unwrap()).await;
                times.push(t.elapsed());
                assert!(v["state"].is_string() && v.get("code").is_none(), "{v}");
            }
            times
        });
    }
    set.join_all().await.into_iter().flatten().collect()
}

/// Holds a long-poll per login; `during_hold` runs once all are sent (and given time to
/// arrive); then approves each session and returns (wake latencies, codes).
async fn long_poll_wakes<F: std::future::Future<Output = ()>>(
    http: &reqwest::Client,
    target: &Target,
    sandbox: &Sandbox,
    logins: &Arc<Vec<Login>>,
    during_hold: F,
) -> (Vec<Duration>, Vec<String>) {
    let mut set = JoinSet::new();
    for i in 0..logins.len() {
        let (http, target, logins) = (http.clone(), target.clone(), logins.clone());
        set.spawn(async move {
            let login = &logins[i];
            let req = http.get(status_url(&target, login, POLL_SECS));
            let v = json_of(target.request(req, &login.sub).send().await.unwrap()).await;
            (
                i,
                Instant::now(),
                v["code"].as_str().unwrap_or("").to_owned(),
            )
        });
    }
    // Let every poll reach the provider (and be held there).
    tokio::time::sleep(Duration::from_secs(3)).await;
    during_hold.await;
    let mut approved = Vec::with_capacity(logins.len());
    for login in logins.iter() {
        approved.push(Instant::now());
        assert!(sandbox.complete_session(&login.provider_session, Outcome::Approve));
        // Spread the approvals a little, as users would: one wake at a time.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut wakes = vec![Duration::ZERO; logins.len()];
    let mut codes = vec![String::new(); logins.len()];
    for (i, answered, code) in set.join_all().await {
        assert!(!code.is_empty(), "login {i} got no code");
        wakes[i] = answered.saturating_duration_since(approved[i]);
        codes[i] = code;
    }
    (wakes, codes)
}

/// Every login exchanges its code, all at once.
async fn exchanges(
    http: &reqwest::Client,
    target: &Target,
    logins: &Arc<Vec<Login>>,
    codes: Vec<String>,
) -> Vec<Duration> {
    let mut set = JoinSet::new();
    for (i, code) in codes.into_iter().enumerate() {
        let (http, target, logins) = (http.clone(), target.clone(), logins.clone());
        set.spawn(async move {
            let login = &logins[i];
            let t = Instant::now();
            let req = http
                .post(format!("{}/v1/authentication/tokens", target.base))
                .header("content-type", "application/json")
                .body(json!({ "code": code, "sessionId": login.session }).to_string());
            let v = json_of(target.request(req, &login.sub).send().await.unwrap()).await;
            assert!(v["session"]["accessToken"].is_string(), "{v}");
            t.elapsed()
        });
    }
    set.join_all().await
}

/// Which figure of a [`Run`] a table row shows.
type Pick = fn(&Run) -> &Stats;

struct Run {
    status: Stats,
    wake: Stats,
    exchange: Stats,
    paced_init: Stats,
    paced_status: Stats,
    paced_exchange: Stats,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n: usize = std::env::var("OBAUTH_BENCH_LOGINS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let mut relay = tokio::process::Command::new(env!("CARGO_BIN_EXE_obauth"))
        .args(["relay", "--listen", "127.0.0.1:0", "--upstream"])
        .arg(sandbox.base_url())
        .args(["--jwt-hs256-secret-env", "OBAUTH_BENCH_APP_SECRET"])
        .args(["--allow-redirect", REDIRECT])
        .env("OBAUTH_CLIENT_ID", sandbox.client_id())
        .env("OBAUTH_CLIENT_SECRET", sandbox.client_secret())
        .env("OBAUTH_RELAY_KEY", RELAY_KEY)
        .env("OBAUTH_BENCH_APP_SECRET", APP_SECRET)
        .env("OBAUTH_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the obauth binary of this build");
    let pid = relay.id().unwrap();
    let mut first = String::new();
    tokio::io::BufReader::new(relay.stdout.take().unwrap())
        .read_line(&mut first)
        .await
        .unwrap();
    let relay_url = first.trim().to_owned();
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(2 * n)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let rss_start = rss_kib(pid);
    let mut rss = (0, 0);
    let mut runs = Vec::new();
    for mode in [Mode::Direct, Mode::Relay] {
        let target = Target {
            mode,
            base: match mode {
                Mode::Direct => sandbox.base_url(),
                Mode::Relay => relay_url.clone(),
            },
            client_id: sandbox.client_id().to_owned(),
            client_secret: sandbox.client_secret().to_owned(),
        };
        let logins = Arc::new(initialize(&http, &target, &sandbox, n).await);
        let status = status_round_trips(&http, &target, &logins).await;
        let idle = rss_kib(pid);
        let mut probes = (Vec::new(), Vec::new(), Vec::new());
        let (wakes, codes) = long_poll_wakes(&http, &target, &sandbox, &logins, async {
            if mode == Mode::Relay {
                rss = (idle, rss_kib(pid));
            }
            probes = paced(&http, &target, &sandbox, PACED).await;
        })
        .await;
        let exchange = exchanges(&http, &target, &logins, codes).await;
        runs.push(Run {
            status: stats(status),
            wake: stats(wakes),
            exchange: stats(exchange),
            paced_init: stats(probes.0),
            paced_status: stats(probes.1),
            paced_exchange: stats(probes.2),
        });
    }
    let _ = relay.kill().await;

    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("{n} concurrent logins, one relay instance, {profile} build\n");
    println!(
        "| per request | direct p50 | direct p99 | relay p50 | relay p99 | added p50 | added p99 | samples |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let rows: [(&str, Pick); 6] = [
        ("paced, {n} long-polls held: initialize", |r| &r.paced_init),
        (
            "paced, {n} long-polls held: status (`pollTimeout=0`)",
            |r| &r.paced_status,
        ),
        ("paced, {n} long-polls held: exchange", |r| {
            &r.paced_exchange
        }),
        ("long-poll wake, {n} held (approval → answer)", |r| {
            &r.wake
        }),
        (
            "burst: {n} logins × 4 status (`pollTimeout=0`) at once",
            |r| &r.status,
        ),
        ("burst: {n} exchanges at once", |r| &r.exchange),
    ];
    for (name, pick) in rows {
        let (d, r) = (pick(&runs[0]), pick(&runs[1]));
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            name.replace("{n}", &n.to_string()),
            ms(d.p50),
            ms(d.p99),
            ms(r.p50),
            ms(r.p99),
            signed_ms(r.p50, d.p50),
            signed_ms(r.p99, d.p99),
            r.n
        );
    }
    let (idle, held) = rss;
    println!(
        "\nrelay resident memory (VmRSS): {rss_start} KiB at start; {idle} KiB after {n} logins \
         (their keep-alive connections idle: {:.1} KiB per login); {held} KiB with {n} long-polls \
         held: {:.1} KiB per held long-poll on top",
        (idle.saturating_sub(rss_start)) as f64 / n as f64,
        (held.saturating_sub(idle)) as f64 / n as f64
    );
    sandbox.shutdown().await;
}
