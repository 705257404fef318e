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
//! Besides Aiia Enterprise supervised login, it serves the OAuth flows: the Aiia Data connect
//! flow (`/v1/oauth/connect` → hosted consent page → redirect with `code`, `state`, `consentId`
//! → Basic-auth JSON `/v1/oauth/token`, refresh-token rotation), client credentials for Aritma
//! (`client_secret_post` at `/connect/token`) and Apiture (`client_secret_basic` at the
//! discovered `/oidc/token`), and OIDC discovery with authorization code + PKCE (S256) for a
//! public client (`/oidc/authorize`, `id_token` with `nonce`).
//!
//! This file holds the public handle and configuration. The rest, by concern:
//! `server.rs` (accept loop, connection dropping), `app.rs` (shared context, router assembly),
//! `guard.rs` (faults, counting, partner auth), `store.rs` (all state), `enterprise.rs`
//! (supervised-login JSON API), `login_page.rs` + `pages.rs` (hosted bank page),
//! `control.rs` (`/_sandbox`), `faults.rs`, `tokens.rs`, `timefmt.rs`, `percent.rs`,
//! `respond.rs`, `access_log.rs`. The OAuth flows: `oauth_connect.rs` + `oauth_token.rs` (Aiia
//! Data), `oidc.rs` (discovery, JWKS, authorize, userinfo), `oidc_token.rs` +
//! `client_credentials.rs` (form-encoded token endpoint), `consent.rs` + `oauth_pages.rs`
//! (hosted consent pages and their redirects), `oauth_store.rs` (their state), and the pieces
//! they share: `redirect_uri.rs`, `basic_auth.rs`, `client_auth.rs`, `pkce.rs`, `jwt.rs`,
//! `params.rs`, `oauth_error.rs`.
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
mod basic_auth;
pub mod browser;
mod client_auth;
mod client_credentials;
mod consent;
mod control;
mod enterprise;
mod faults;
mod guard;
mod jwt;
mod login_page;
mod oauth_connect;
mod oauth_error;
mod oauth_pages;
mod oauth_store;
mod oauth_token;
mod oidc;
mod oidc_token;
mod pages;
mod params;
mod percent;
mod pkce;
mod redirect_uri;
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

pub use crate::client_auth::{ClientAuthMethod, TokenRequestRecord};
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

    // --- OAuth flows -------------------------------------------------------------------------
    // The confidential OAuth client is `client_id` / `client_secret` above: the same application
    // credentials the partner uses for supervised login also run the Aiia connect flow
    // (`/v1/oauth/token`, Basic) and client credentials (`/oidc/token`, `/connect/token`).
    /// Redirect URIs registered for the confidential client (the Aiia connect flow). An entry
    /// ending in `*` matches any path below it (never a wildcard in the host); an `http` entry on
    /// `127.0.0.1` or `[::1]` matches any port (RFC 8252 §7.3). See `redirect_uri.rs`.
    pub redirect_uris: Vec<String>,
    /// Scopes `/v1/oauth/connect` accepts; the default when `scope` is omitted is
    /// `accounts offline_access`, as the provider documents.
    pub connect_scopes: Vec<String>,
    /// Lifetime of the OAuth access tokens (Aiia connect and the PKCE client): `expires_in`.
    pub oauth_access_token_lifetime: Duration,
    /// Lifetime of OAuth refresh tokens (the Aiia seed's refresh token lives 14 days).
    pub oauth_refresh_token_lifetime: Duration,
    /// Scopes the client-credentials grant accepts; an omitted `scope` grants all of them.
    pub client_credentials_scopes: Vec<String>,
    /// Lifetime of client-credentials access tokens: `expires_in`.
    pub client_credentials_token_lifetime: Duration,
    /// The public (PKCE, no secret) client that `/oidc/authorize` serves.
    pub public_client_id: String,
    /// Redirect URIs registered for the public client (same matching rules as `redirect_uris`).
    pub public_client_redirect_uris: Vec<String>,
    /// Scopes `/oidc/authorize` accepts; `openid` yields an `id_token`. Omitted `scope` means
    /// `openid`.
    pub oidc_scopes: Vec<String>,
    /// What the user does on the hosted consent pages (Aiia consent and OIDC authorize) unless
    /// [`Sandbox::script_consent`] says otherwise.
    pub consent_script: ConsentScript,
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
            redirect_uris: strings(&[
                "https://app.example.com/aiia/callback",
                "https://app.example.com/aiia-callback/*",
                "http://127.0.0.1/*",
            ]),
            connect_scopes: strings(&["accounts", "offline_access"]),
            oauth_access_token_lifetime: Duration::from_secs(3600),
            oauth_refresh_token_lifetime: Duration::from_secs(14 * 24 * 60 * 60),
            client_credentials_scopes: strings(&["banking.channel.psd2", "banking.ais.read"]),
            client_credentials_token_lifetime: Duration::from_secs(3600),
            public_client_id: "sandbox-public-client".to_owned(),
            public_client_redirect_uris: strings(&[
                "https://app.example.com/oidc/callback",
                "com.example.app:/oauth2redirect",
                "http://127.0.0.1/*",
            ]),
            oidc_scopes: strings(&["openid", "profile", "offline_access", "banking.ais.read"]),
            consent_script: ConsentScript::Page,
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
            .field("redirect_uris", &self.redirect_uris)
            .field("connect_scopes", &self.connect_scopes)
            .field(
                "oauth_access_token_lifetime",
                &self.oauth_access_token_lifetime,
            )
            .field(
                "oauth_refresh_token_lifetime",
                &self.oauth_refresh_token_lifetime,
            )
            .field("client_credentials_scopes", &self.client_credentials_scopes)
            .field(
                "client_credentials_token_lifetime",
                &self.client_credentials_token_lifetime,
            )
            .field("public_client_id", &self.public_client_id)
            .field(
                "public_client_redirect_uris",
                &self.public_client_redirect_uris,
            )
            .field("oidc_scopes", &self.oidc_scopes)
            .field("consent_script", &self.consent_script)
            .finish()
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// What the (simulated) user does on the hosted OAuth consent pages: the Aiia consent page and
/// the OIDC authorize page. There is one end user; the script applies to every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConsentScript {
    /// The page is shown; the user (a browser test) clicks `#approve` or `#cancel`.
    #[default]
    Page,
    /// Showing the page approves at once: the page request answers with the `302` to the
    /// app's `redirect_uri` carrying the code, as if the user had clicked Approve.
    Approve,
    /// Showing the page cancels at once: `302` with `error=access_denied`.
    Cancel,
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
    /// `GET /v1/oauth/connect` (Aiia connect flow start)
    pub oauth_connect_requests: u64,
    /// `GET /v1/oauth/connect/consent` (the hosted Aiia consent page)
    pub oauth_consent_page_views: u64,
    /// `POST /v1/oauth/connect/decision` (the consent page's forms)
    pub oauth_decision_requests: u64,
    /// `POST /v1/oauth/token` (Aiia)
    pub oauth_token_requests: u64,
    /// `GET /oidc/.well-known/openid-configuration`
    pub discovery_requests: u64,
    /// `GET /oidc/jwks`
    pub jwks_requests: u64,
    /// `GET /oidc/authorize`
    pub oidc_authorize_requests: u64,
    /// `POST /oidc/authorize/decision`
    pub oidc_decision_requests: u64,
    /// `POST /oidc/token` plus `POST /connect/token`
    pub oidc_token_requests: u64,
    /// `GET /oidc/userinfo`
    pub userinfo_requests: u64,
    /// OAuth authorization codes redeemed (Aiia connect and PKCE), over all clients.
    pub oauth_code_exchanges: u64,
    /// Successful refresh-token grants (both token endpoints).
    pub refresh_grants: u64,
    /// Successful client-credentials grants.
    pub client_credentials_grants: u64,
    /// Token requests whose client authenticated successfully with `client_secret_basic`.
    pub client_secret_basic_requests: u64,
    /// Token requests whose client authenticated successfully with `client_secret_post`.
    pub client_secret_post_requests: u64,
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

    /// The accepted public (PKCE) client id.
    pub fn public_client_id(&self) -> &str {
        &self.app.config.public_client_id
    }

    /// The OIDC issuer, `http://127.0.0.1:PORT/oidc` (what discovery and `id_token`s say when
    /// reached at `127.0.0.1`; both follow the request's `Host`, see `oidc.rs`).
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
    }

    #[test]
    fn config_debug_redacts_the_secret() {
        let text = format!("{:?}", SandboxConfig::default());
        assert!(!text.contains("sandbox-client-secret"), "{text}");
        assert!(text.contains("sandbox-client-id"));
    }
}
