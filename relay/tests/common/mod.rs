//! What the relay's end-to-end tests share: a sandbox (the provider) and real relays on loopback
//! ports, a plain HTTP client playing the device, app tokens minted here, and a capture of
//! every log line the relay writes.

#![allow(dead_code)]

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use obauth_relay::{
    AppTokenConfig, AppTokenKey, Limits, PartnerCredentials, RateLimit, Relay, RelayConfig, Secret,
    ServeOptions, serve,
};
use obauth_sandbox::{Sandbox, SandboxConfig};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The relay key of every test relay (and of the "second instance").
pub const RELAY_KEY: &str = "test-relay-key-0123456789abcdef-0123456789abcdef";
/// The HS256 app-token secret.
pub const APP_SECRET: &str = "app-token-secret-0123456789abcdef-0123456789";
/// The sandbox's partner secret, which must appear in no response and no log line.
pub const PARTNER_SECRET: &str = "sandbox-client-secret";
/// An exact allowlist entry (also registered in the sandbox for the Aiia connect flow).
pub const REDIRECT: &str = "https://app.example.com/aiia/callback";
/// A wildcard allowlist entry.
pub const REDIRECT_BELOW: &str = "https://app.example.com/aiia-callback/*";

// ---- logs --------------------------------------------------------------------------------

struct Capture;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.target().starts_with("obauth_relay") {
            let line = format!("{} {}: {}", record.level(), record.target(), record.args());
            LINES.lock().unwrap().push(line);
        }
    }
    fn flush(&self) {}
}

/// Installs the capturing logger (once per test binary) at `debug`.
pub fn capture_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        static CAPTURE: Capture = Capture;
        log::set_logger(&CAPTURE).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
    });
}

/// Every relay log line so far (of every test in this binary).
pub fn logs() -> Vec<String> {
    LINES.lock().unwrap().clone()
}

// ---- the device's HTTP client ------------------------------------------------------------

pub fn client() -> reqwest::Client {
    // In a workspace build reqwest has `rustls-no-provider`: a plain client needs a process-wide
    // crypto provider even for http:// URLs.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// A finished request: status, headers and body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub async fn of(resp: reqwest::Response) -> Answer {
        Answer {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts the relay's `401 {"error":"InvalidAppToken"}` with its challenge.
    pub fn assert_invalid_app_token(&self) {
        assert_eq!(self.status, 401, "{}", self.body);
        assert_eq!(self.body, r#"{"error":"InvalidAppToken"}"#);
        assert_eq!(
            self.header("www-authenticate"),
            Some(r#"Bearer error="invalid_token""#)
        );
    }

    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.json()["error"], code, "{}", self.body);
    }
}

// ---- app tokens --------------------------------------------------------------------------

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HS256 app token for `sub`, valid for ten minutes.
pub fn token(sub: &str) -> String {
    hs256(&json!({ "sub": sub, "exp": now() + 600 }), APP_SECRET)
}

pub fn hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// ---- relays ------------------------------------------------------------------------------

/// A relay configuration for `sandbox` with the HS256 secret, both allowlist entries, and a
/// generous rate limit.
pub fn config(sandbox: &Sandbox) -> RelayConfig {
    config_with_key(sandbox, AppTokenKey::Hs256(Secret::from(APP_SECRET)))
}

pub fn config_with_key(sandbox: &Sandbox, key: AppTokenKey) -> RelayConfig {
    RelayConfig {
        allow_redirects: vec![REDIRECT.into(), REDIRECT_BELOW.into()],
        limits: Limits {
            rate_limit: Some(RateLimit {
                burst: 1000,
                per_minute: 6000,
            }),
            ..Limits::default()
        },
        ..RelayConfig::new(
            sandbox.base_url().parse().unwrap(),
            PartnerCredentials {
                client_id: sandbox.client_id().to_owned(),
                client_secret: Secret::from(sandbox.client_secret()),
            },
            Secret::from(RELAY_KEY),
            AppTokenConfig::new(key),
        )
    }
}

/// A relay serving on a loopback port.
pub struct RunningRelay {
    pub relay: Relay,
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningRelay {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Requests shutdown and waits until the server has drained.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

impl Drop for RunningRelay {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

pub async fn start_relay(config: RelayConfig) -> RunningRelay {
    start_relay_with(config, ServeOptions::default()).await
}

pub async fn start_relay_with(config: RelayConfig, options: ServeOptions) -> RunningRelay {
    capture_logs();
    let relay = Relay::new(config).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let base = format!("{scheme}://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let router = relay.router();
    let task = tokio::spawn(serve(listener, router, options, async move {
        let _ = stopped.await;
    }));
    RunningRelay {
        relay,
        base,
        stop: Some(stop),
        task: Some(task),
    }
}

/// A sandbox and one relay in front of it, with the device's client.
pub struct Harness {
    pub sandbox: Sandbox,
    pub relay: RunningRelay,
    pub http: reqwest::Client,
}

impl Harness {
    /// Plays the user on the provider's hosted page of a supervised login: approves, and
    /// returns the `Location` of the redirect back to the app.
    pub async fn approve(&self, auth_url: &str) -> String {
        let start_token = auth_url
            .split_once("startToken=")
            .unwrap()
            .1
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        let resp = self
            .http
            .post(self.sandbox.base_url() + "/v1/authentication/start/decision")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("startToken={start_token}&decision=approve"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 302);
        resp.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned()
    }
}

pub async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.unwrap()
}

pub async fn start() -> Harness {
    let sandbox = sandbox().await;
    let relay = start_relay(config(&sandbox)).await;
    Harness {
        sandbox,
        relay,
        http: client(),
    }
}

pub async fn start_with(edit: impl FnOnce(&mut RelayConfig)) -> Harness {
    let sandbox = sandbox().await;
    let mut cfg = config(&sandbox);
    edit(&mut cfg);
    let relay = start_relay(cfg).await;
    Harness {
        sandbox,
        relay,
        http: client(),
    }
}

impl Harness {
    /// The user hash the relay derives for an HS256 token of `sub` (no `iss`).
    pub fn user_hash(&self, sub: &str) -> String {
        self.relay.relay.user_hash("", sub)
    }
}

/// The device's calls to a relay at `base`.
pub struct Device<'a> {
    pub http: &'a reqwest::Client,
    pub base: &'a str,
    pub token: Option<String>,
}

impl<'a> Device<'a> {
    pub fn new(http: &'a reqwest::Client, relay: &'a RunningRelay, sub: &str) -> Self {
        Device {
            http,
            base: &relay.base,
            token: Some(token(sub)),
        }
    }

    fn authed(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.header(AUTHORIZATION, format!("Bearer {t}")),
            None => req,
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        Answer::of(self.authed(req).send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        let req = self.http.get(format!("{}{path}", self.base));
        Answer::of(self.authed(req).send().await.unwrap()).await
    }

    pub async fn initialize(&self, redirect: &str) -> Answer {
        self.post(
            "/v1/authentication/initialize",
            &json!({ "redirectUrl": redirect }),
        )
        .await
    }

    /// Initializes (must succeed); returns `(handle, authUrl)`.
    pub async fn start_login(&self) -> (String, String) {
        let a = self.initialize(REDIRECT).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let v = a.json();
        (
            v["sessionId"].as_str().unwrap().to_owned(),
            v["authUrl"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn status(&self, handle: &str, poll_timeout: Option<u64>) -> Answer {
        let mut path = format!("/v1/authentication/{handle}/status");
        if let Some(t) = poll_timeout {
            path.push_str(&format!("?pollTimeout={t}"));
        }
        self.get(&path).await
    }

    pub async fn exchange(&self, code: &str, handle: &str) -> Answer {
        self.post(
            "/v1/authentication/tokens",
            &json!({ "code": code, "sessionId": handle }),
        )
        .await
    }
}

/// The provider session id behind the newest sandbox session of `user_hash`.
pub fn provider_session(sandbox: &Sandbox, user_hash: &str) -> String {
    sandbox
        .sessions()
        .into_iter()
        .rev()
        .find(|s| s.user_hash == user_hash)
        .unwrap_or_else(|| panic!("no sandbox session for {user_hash}"))
        .session_id
}

/// Waits until `cond` holds (at most two seconds).
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in time");
}
