//! A faithful local stand-in for the open-banking provider APIs ObAuth talks to.
//!
//! There is no internet where ObAuth is tested, and a real bank cannot be scripted, slowed down
//! or broken on demand. The sandbox implements the provider's HTTP APIs as documented (the seeds
//! in `shared/seeds/`: field names, headers, encodings, timestamp shapes) on a loopback port, and
//! adds what tests need on top: a scripted user per `userHash` ([`UserScript`]), fault injection
//! per endpoint ([`Fault`]), counters ([`Stats`]) and session inspection ([`SessionInfo`]).
//!
//! Tests start it in-process with [`Sandbox::start`]; the CLI runs it as `obauth sandbox --port N`
//! and non-Rust test drivers steer it over HTTP through `/_sandbox/...` (see `control.rs`).
//!
//! This file holds the public handle and configuration. The rest, by concern:
//! `server.rs` (accept loop, connection dropping), `app.rs` (shared context, router assembly),
//! `guard.rs` (faults, counting, partner auth), `store.rs` (all state), `enterprise.rs`
//! (supervised-login JSON API), `login_page.rs` + `pages.rs` (hosted bank page),
//! `control.rs` (`/_sandbox`), `faults.rs`, `tokens.rs`, `timefmt.rs`, `percent.rs`,
//! `respond.rs`, `access_log.rs`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use obauth_sandbox::{Sandbox, SandboxConfig, UserScript};
//! use std::time::Duration;
//!
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! sandbox.script_user("test-user-id", UserScript::ApproveAfter(Duration::from_millis(50)));
//! println!("provider at {}", sandbox.base_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod access_log;
mod app;
mod control;
mod enterprise;
mod faults;
mod guard;
mod login_page;
mod pages;
mod percent;
mod respond;
mod server;
mod store;
mod timefmt;
mod tokens;

use std::fmt;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::App;

pub use crate::faults::{Endpoint, Fault, UnknownEndpoint};

/// How to run a sandbox. Start from [`SandboxConfig::default`] and override fields.
#[derive(Clone)]
pub struct SandboxConfig {
    /// TCP port on 127.0.0.1; `0` picks a free one.
    pub port: u16,
    /// The partner `X-Client-Id` the sandbox accepts.
    pub client_id: String,
    /// The partner `X-Client-Secret` the sandbox accepts.
    pub client_secret: String,
    /// How long an authorization code can be exchanged (the provider: one minute).
    pub code_lifetime: Duration,
    /// Session `accessToken` lifetime; every authenticated call slides it forward by this much.
    pub access_token_lifetime: Duration,
    /// `loginToken` lifetime, reported as `login.expires`.
    pub login_token_lifetime: Duration,
    /// The bank: `providerId` in responses and the name on the hosted page.
    pub provider_id: String,
    /// `login.supportsUnattended` in the tokens response.
    pub supports_unattended: bool,
    /// What the user of a session does unless [`Sandbox::script_user`] says otherwise.
    pub default_script: UserScript,
    /// Upper bound for `pollTimeout`; larger values are clamped.
    pub max_poll_timeout: Duration,
    /// Print one line per request to stderr (method, path, status, ms; never secrets).
    pub log_requests: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            client_id: "sandbox-client-id".to_owned(),
            client_secret: "sandbox-client-secret".to_owned(),
            code_lifetime: Duration::from_secs(60),
            access_token_lifetime: Duration::from_secs(15 * 60),
            login_token_lifetime: Duration::from_secs(90 * 24 * 60 * 60),
            provider_id: "DemoBank".to_owned(),
            supports_unattended: true,
            default_script: UserScript::WaitForPage,
            max_poll_timeout: Duration::from_secs(120),
            log_requests: false,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("code_lifetime", &self.code_lifetime)
            .field("access_token_lifetime", &self.access_token_lifetime)
            .field("login_token_lifetime", &self.login_token_lifetime)
            .field("provider_id", &self.provider_id)
            .field("supports_unattended", &self.supports_unattended)
            .field("default_script", &self.default_script)
            .field("max_poll_timeout", &self.max_poll_timeout)
            .field("log_requests", &self.log_requests)
            .finish()
    }
}

/// What the (simulated) user of a session does. Timers start when the session is initialized.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UserScript {
    /// Nothing automatic: the user acts on the hosted HTML page (or a test calls
    /// [`Sandbox::complete_session`]).
    #[default]
    WaitForPage,
    /// The session becomes `Succeeded` (with a code) after the delay; no browser involved.
    ApproveAfter(Duration),
    /// The session becomes `Failed` after the delay.
    FailAfter(Duration),
    /// The session becomes `Cancelled` after the delay.
    CancelAfter(Duration),
    /// The session becomes `NotApplicable` after the delay.
    NotApplicableAfter(Duration),
    /// The session stays `InProgress` forever: page decisions and
    /// [`Sandbox::complete_session`] are refused (the page says it is still waiting).
    NeverFinish,
}

/// A way to end a session, as the hosted page (or a test) would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The user approved: `Succeeded`, with a fresh code.
    Approve,
    /// The login failed at the bank: `Failed`.
    Fail,
    /// The user cancelled: `Cancelled`.
    Cancel,
    /// No session was needed: `NotApplicable`.
    NotApplicable,
}

/// The provider's session states, as reported by the status endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// The user has not finished yet.
    InProgress,
    /// The user approved; a code is available.
    Succeeded,
    /// The login failed.
    Failed,
    /// No session was needed (payments).
    NotApplicable,
    /// The user cancelled.
    Cancelled,
}

impl SessionState {
    /// The wire name (`"InProgress"`, `"Succeeded"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::InProgress => "InProgress",
            SessionState::Succeeded => "Succeeded",
            SessionState::Failed => "Failed",
            SessionState::NotApplicable => "NotApplicable",
            SessionState::Cancelled => "Cancelled",
        }
    }

    /// Whether the session has reached a final state.
    pub fn is_final(self) -> bool {
        self != SessionState::InProgress
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A snapshot of one session, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The `sessionId` returned by initialize.
    pub session_id: String,
    /// The `userHash` the session was initialized for.
    pub user_hash: String,
    /// The current state.
    pub state: SessionState,
    /// When the session was initialized.
    pub created_at: Instant,
    /// When the session became `Succeeded` (for timed scripts: the scripted instant).
    pub succeeded_at: Option<Instant>,
    /// Successful code exchanges for this session (a correct client makes exactly one).
    pub exchanges: u32,
}

/// Request counters. Per-endpoint counts include faulted and unauthorized requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// `POST /v1/authentication/initialize`
    pub initialize_requests: u64,
    /// `GET /v1/authentication/{sessionId}/status`
    pub status_requests: u64,
    /// `POST /v1/authentication/tokens`
    pub token_requests: u64,
    /// Codes exchanged for tokens, over all sessions.
    pub successful_exchanges: u64,
    /// `GET /v1/authentication/start` (the hosted page)
    pub page_views: u64,
    /// `GET /v1/accounts`
    pub accounts_requests: u64,
    /// `POST /v1/authentication/start/decision` (the page's forms)
    pub decision_requests: u64,
}

/// A running sandbox. Dropping it stops the server; [`Sandbox::shutdown`] stops it gracefully.
pub struct Sandbox {
    app: App,
    port: u16,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.app.base_url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds `127.0.0.1:config.port` and starts serving. Must be called within a tokio runtime
    /// (either flavour); the server runs as tasks on that runtime.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let port = listener.local_addr()?.port();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let app = App::new(
            config,
            format!("http://127.0.0.1:{port}"),
            shutdown_rx.clone(),
        );
        let router = app::router(app.clone());
        let task = tokio::spawn(server::run(listener, router, shutdown_rx));
        Ok(Sandbox {
            app,
            port,
            shutdown,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.app.base_url.clone()
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The configuration the sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.app.config
    }

    /// The accepted `X-Client-Id`.
    pub fn client_id(&self) -> &str {
        &self.app.config.client_id
    }

    /// The accepted `X-Client-Secret`.
    pub fn client_secret(&self) -> &str {
        &self.app.config.client_secret
    }

    /// Sets what the user does in sessions initialized from now on for `user_hash`.
    pub fn script_user(&self, user_hash: &str, script: UserScript) {
        self.app.store().script_user(user_hash, script);
    }

    /// Queues one fault for the next request to `endpoint` (FIFO per endpoint).
    pub fn inject_fault(&self, endpoint: Endpoint, fault: Fault) {
        self.app.faults.push(endpoint, fault, 1);
    }

    /// Queues the same fault for the next `times` requests to `endpoint`.
    pub fn inject_faults(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        self.app.faults.push(endpoint, fault, times);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.app.faults.clear();
    }

    /// A snapshot of the request counters.
    pub fn stats(&self) -> Stats {
        self.app.store().stats()
    }

    /// A snapshot of one session, or `None` if the id is unknown.
    pub fn session(&self, session_id: &str) -> Option<SessionInfo> {
        self.app.store().info(session_id, Instant::now())
    }

    /// Snapshots of all sessions, oldest first.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.app.store().infos(Instant::now())
    }

    /// Ends an `InProgress` session as the hosted page would, without the redirect; long polls
    /// wake at once. Returns `false` if the session is unknown, already final, or scripted
    /// [`UserScript::NeverFinish`].
    pub fn complete_session(&self, session_id: &str, outcome: Outcome) -> bool {
        self.app
            .store()
            .complete(session_id, outcome, Instant::now())
            .is_ok()
    }

    /// Stops accepting connections, lets in-flight requests finish (long polls answer at once
    /// with the current state) for up to two seconds, then stops everything.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            // Aborting the accept loop drops its JoinSet, which aborts every connection task.
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_thread_safe() {
        assert_send_sync::<Sandbox>();
        assert_send_sync::<SandboxConfig>();
        assert_send_sync::<Stats>();
        assert_send_sync::<SessionInfo>();
        assert_send_sync::<Fault>();
    }

    #[test]
    fn config_debug_redacts_the_secret() {
        let text = format!("{:?}", SandboxConfig::default());
        assert!(!text.contains("sandbox-client-secret"), "{text}");
        assert!(text.contains("sandbox-client-id"));
    }
}
