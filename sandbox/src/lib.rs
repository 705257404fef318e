//! A faithful local stand-in for the open-banking provider APIs ObAuth talks to.
//!
//! There is no internet where ObAuth is tested, and a real bank cannot be scripted, slowed down
//! or broken on demand. The sandbox implements the provider's HTTP APIs as documented (the seeds
//! in `shared/seeds/`: field names, headers, encodings, timestamp shapes) on a loopback port, and
//! adds what tests need on top: a scripted user per `userHash` ([`UserScript`]), fault injection
//! per endpoint ([`Fault`]), counters ([`Stats`]) and session inspection ([`SessionInfo`]).
//!
//! Tests start it in-process with [`Sandbox::start`]; the CLI runs it as `obauth sandbox --port N`
//! and non-Rust test drivers steer it over HTTP through `/_sandbox/...` (see
//! `routes/control.rs`).
//!
//! Besides Aiia Enterprise supervised login, it serves the OAuth flows: the Aiia Data connect
//! flow (`/v1/oauth/connect` → hosted consent page → redirect with `code`, `state`, `consentId`
//! → Basic-auth JSON `/v1/oauth/token`, refresh-token rotation), client credentials for Aritma
//! (`client_secret_post` at `/connect/token`) and Apiture (`client_secret_basic` at the
//! discovered `/oidc/token`), and OIDC discovery with authorization code + PKCE (S256) for a
//! public client (`/oidc/authorize`, `id_token` with `nonce`).
//!
//! This file holds the public handle ([`Sandbox`]) and the re-exports; the rest is layered, each
//! layer using only the ones above it in this list (`tests/layering.rs` checks it):
//!
//! - `crypto/`, `clock.rs`, `timefmt.rs`, `pages/`: random ids, PKCE, JWTs, constant-time
//!   comparison; time arithmetic and the provider's timestamp shapes; the hosted pages' HTML.
//! - `model/`: the domain without HTTP: endpoints, faults, scripts, sessions, the OAuth state,
//!   counters, redirect-URI and scope rules.
//! - `config.rs`: [`SandboxConfig`].
//! - `http/`: request parsing and response shapes (JSON errors, OAuth errors, redirects, query
//!   strings, the `Authorization` header, the connection handle).
//! - `state.rs`: the shared state every handler gets (`App`).
//! - `middleware/` (fault/count/auth guard, access log) and `oauth/` (what the OAuth endpoints
//!   share: the authorize machinery, client authentication, token issuance).
//! - `routes/`: one module per endpoint group; routes never import each other.
//! - `router.rs` (assembles the routes) and `server.rs` (the accept loop).
//!
//! The scripted browser for the sandbox's own pages is `browser.rs`.
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

pub mod browser;
mod clock;
mod config;
mod crypto;
mod http;
mod middleware;
mod model;
mod oauth;
mod pages;
mod router;
mod routes;
mod server;
mod state;
mod timefmt;

use std::fmt;
use std::net::Ipv4Addr;
use std::time::Instant;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::App;

pub use crate::config::SandboxConfig;
pub use crate::model::correlation::CorrelationRecord;
pub use crate::model::endpoint::{Endpoint, UnknownEndpoint};
pub use crate::model::fault::Fault;
pub use crate::model::session::{SessionInfo, SessionState};
pub use crate::model::stats::Stats;
pub use crate::model::token_request::{ClientAuthMethod, TokenRequestRecord};
pub use crate::model::user::{ConsentScript, Outcome, UserScript};

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
        let router = router::router(app.clone());
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

    /// The accepted public (PKCE) client id.
    pub fn public_client_id(&self) -> &str {
        &self.app.config.public_client_id
    }

    /// The OIDC issuer, `http://127.0.0.1:PORT/oidc` (what discovery and `id_token`s say when
    /// reached at `127.0.0.1`; both follow the request's `Host`, see `routes/oidc.rs`).
    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.app.base_url)
    }

    /// `http://127.0.0.1:PORT/oidc/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// Sets what the user does on the hosted OAuth consent pages from now on (overrides
    /// [`SandboxConfig::consent_script`]).
    pub fn script_consent(&self, script: ConsentScript) {
        self.app.store().oauth.set_consent_script(script);
    }

    /// Revokes every OAuth refresh token issued so far (both flows); their next use gets
    /// `400 invalid_grant`, as after a user withdraws consent. Returns how many were revoked.
    pub fn revoke_refresh_tokens(&self) -> usize {
        self.app.store().oauth.revoke_refresh_tokens()
    }

    /// Whether `token` is an unexpired OAuth access token the sandbox issued (Aiia connect,
    /// PKCE or client credentials). Supervised-login session tokens are not OAuth tokens.
    pub fn is_access_token_active(&self, token: &str) -> bool {
        self.app
            .store()
            .oauth
            .access(token, Instant::now())
            .is_some()
    }

    /// Every request that reached a token endpoint (`/v1/oauth/token`, `/oidc/token`,
    /// `/connect/token`), oldest first: grant type, client, client-authentication method and the
    /// answer's status. Requests answered by an injected fault are not included.
    pub fn token_requests(&self) -> Vec<TokenRequestRecord> {
        self.app.store().oauth.log()
    }

    /// Whether the bank of `user_hash` supports unattended logins, for login tokens issued from
    /// now on (overrides [`SandboxConfig::supports_unattended`]); their `supportsUnattended`
    /// says so, and `/v1/authentication/unattended` refuses them with `UnattendedNotSupported`.
    pub fn set_unattended_support(&self, user_hash: &str, supported: bool) {
        self.app
            .store()
            .set_unattended_support(user_hash, supported);
    }

    /// Makes every login token issued so far expire now (their next unattended login gets
    /// `LoginTokenExpired`); returns how many there are.
    pub fn expire_login_tokens(&self) -> usize {
        self.app.store().expire_login_tokens(Instant::now())
    }

    /// Every provider request so far with the `X-Correlation-Id` it carried, oldest first (the
    /// last 10 000). Requests with a malformed id were refused and carry `None`.
    pub fn correlation_log(&self) -> Vec<CorrelationRecord> {
        self.app.store().correlation_log()
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
        assert_send_sync::<TokenRequestRecord>();
        assert_send_sync::<ConsentScript>();
        assert_send_sync::<CorrelationRecord>();
    }
}
