//! `obauth-relay`: a stateless back-end relay between the app and the provider.
//!
//! The app must not hold the partner's client secret, and must not choose the `userHash` (else
//! any user could reach anyone's stored bank logins). The relay holds the secret, verifies the
//! app's own sign-in token (a JWT) on every request, derives the `userHash` from the verified
//! subject, and hands the device an opaque, sealed session handle in place of the provider's
//! session id. It serves the provider's own paths, so the core speaks one dialect to both:
//!
//! - `POST /v1/authentication/initialize`, `GET /v1/authentication/{handle}/status`,
//!   `POST /v1/authentication/tokens`, `POST /v1/authentication/unattended` (Aiia Enterprise),
//! - `POST /v1/oauth/token` (Aiia Data), and `GET /healthz`.
//!
//! It is stateless: instances share nothing but `OBAUTH_RELAY_KEY`, so any instance behind any
//! load balancer serves any request. The rate limit is per instance.
//!
//! Use it as a library (mount [`Relay::router`] in an axum back end, at the root) or as the
//! `obauth relay` command ([`serve`] with [`ServeOptions`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use obauth_relay::*;
//! let config = RelayConfig {
//!     allow_redirects: vec!["https://app.example.com/aiia/*".into()],
//!     ..RelayConfig::new(
//!         "https://api.nordicapigateway.com".parse()?,
//!         PartnerCredentials::from_env()?,
//!         relay_key_from_env()?,
//!         AppTokenConfig::new(AppTokenKey::Hs256(secret_from_env("APP_JWT_SECRET")?)),
//!     )
//! };
//! let relay = Relay::new(config)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! // Any future: the command uses SIGTERM / Ctrl-C.
//! let shutdown = std::future::pending::<()>();
//! serve(listener, relay.router(), ServeOptions::default(), shutdown).await;
//! # Ok(()) }
//! ```
//!
//! Modules: `config` (the configuration and secrets), `crypto` (user hash, sealed handles),
//! `app_token` (JWT verification, JWKS cache), `allowlist` (redirect rules), `rate_limit`,
//! `upstream` (the provider client and pass-through), `respond` (the relay's own answers),
//! `state`, `middleware` (authentication, rate limit, deadline, access log), `routes` (the
//! endpoints), `server` (accept loop, TLS, graceful shutdown).

mod allowlist;
mod app_token;
mod config;
mod crypto;
mod middleware;
mod rate_limit;
mod respond;
mod routes;
mod server;
mod state;
mod upstream;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub use crate::config::{
    AppTokenConfig, AppTokenKey, ConfigError, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_RELAY_KEY,
    Limits, MIN_KEY_BYTES, PartnerCredentials, RateLimit, RelayConfig, Secret, relay_key_from_env,
    secret_from_env,
};
pub use crate::server::{ServeOptions, TlsConfig, serve};

use crate::state::AppState;

/// A configured relay. Cheap to clone; every clone shares the same state (JWKS cache, rate
/// limiter, connection pool).
#[derive(Clone)]
pub struct Relay {
    app: Arc<AppState>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").finish_non_exhaustive()
    }
}

impl Relay {
    /// Checks the configuration and builds the relay. Fails on a short relay key or HS256
    /// secret, an unreadable PEM key, a bad allowlist entry, or an upstream/JWKS URL that is not
    /// `https` (plain `http` is allowed on loopback addresses only).
    pub fn new(config: RelayConfig) -> Result<Self, ConfigError> {
        let app = AppState::new(&config)?;
        if app.allowlist.is_empty() {
            log::warn!(
                target: "obauth_relay",
                "no redirect is allowed: every initialize and code grant will be refused \
                 (--allow-redirect)"
            );
        }
        Ok(Relay { app: Arc::new(app) })
    }

    /// Fetches the JWKS now when one is configured (otherwise it is fetched on first use). A
    /// failure is logged and the fetch is retried later.
    pub async fn warm_up(&self) {
        self.app.verifier.warm_up().await;
    }

    /// The relay's routes, to serve with [`serve`] or to merge into an axum application at the
    /// root (the paths are the provider's). Bodies are bounded, requests have a deadline, and
    /// every request is access-logged (`log` target `obauth_relay::access`).
    pub fn router(&self) -> Router {
        let app = self.app.clone();
        let protected = Router::new()
            .route("/v1/authentication/initialize", post(routes::initialize))
            .route("/v1/authentication/{handle}/status", get(routes::status))
            .route("/v1/authentication/tokens", post(routes::tokens))
            .route("/v1/authentication/unattended", post(routes::unattended))
            .route("/v1/oauth/token", post(routes::oauth_token))
            .route_layer(from_fn_with_state(app.clone(), middleware::authenticate));
        Router::new()
            .route("/healthz", get(routes::healthz))
            .merge(protected)
            .fallback(routes::not_found)
            .method_not_allowed_fallback(routes::method_not_allowed)
            .layer(from_fn_with_state(app.clone(), middleware::access_log))
            .with_state(app)
    }

    /// The `userHash` this relay sends for a token with `issuer` (`""` when the token has no
    /// `iss`) and `subject`.
    pub fn user_hash(&self, issuer: &str, subject: &str) -> String {
        self.app.keys.user_hash(issuer, subject).hex()
    }
}

/// The `userHash` a relay with `relay_key` derives for `issuer` and `subject`:
/// `HMAC-SHA256(relay_key, "obauth-relay/v1/user-hash" 0x00 ‖ u32be(len issuer) ‖ issuer ‖
/// u32be(len subject) ‖ subject)`, 64 lowercase hex characters.
pub fn derive_user_hash(relay_key: &[u8], issuer: &str, subject: &str) -> String {
    crypto::Keys::new(relay_key)
        .user_hash(issuer, subject)
        .hex()
}
