//! # ObAuth core
//!
//! Open-banking sign-in for native apps, done once and correctly: the authentication state
//! machines, status polling, code exchange and token lifecycle of Aiia / Mastercard Open Finance
//! style providers. The host app keeps only its WebView and its Universal Link / App Link
//! plumbing and hands every URL it meets to the core.
//!
//! ## Layout
//! - [`flow`]: the sans-IO contract (inputs, effects, redirect outcomes) every flow implements.
//! - [`supervised`]: Aiia Enterprise supervised login (initialize → WebView → redirect or
//!   status long-poll → exchange once).
//! - [`authorization`]: authorization-code flows — Aiia Data connect, and PKCE for public
//!   clients — with state checks, wildcard redirects and ID-token nonce checks.
//! - [`oauth`]: token endpoint wire formats, PKCE/state/nonce values, OIDC discovery.
//! - [`tokens`]: [`TokenManager`], fresh tokens with single-flight renewal.
//! - [`snapshot`]: versioned snapshots and the [`SecureStorage`] the host provides.
//! - [`navigation`]: the WebView navigation policy.
//! - [`driver`]: runs flows with reqwest/rustls and tokio; [`FlowHandle`] is what hosts hold.
//! - [`Client`] and [`OidcClient`]: the entry points.
//! - Shared pieces: [`secret`] (redacted values), [`error`] (errors by what to do next),
//!   [`redirect`] (matching and exact decoding), [`backoff`], [`timestamp`], [`session`]
//!   (sliding expiry), [`validate`], [`http`] (HTTP as data).
//!
//! ## Example
//! ```no_run
//! # async fn demo() -> Result<(), obauth::Error> {
//! use obauth::{Client, ClientConfig, SupervisedLoginParams, LoginState};
//! let client = Client::new(ClientConfig::new("https://api.example.com", "id", "secret"))?;
//! let login = client.supervised_login(SupervisedLoginParams::new(
//!     "test-user-id",
//!     "https://app.example.com/aiia/callback",
//! ))?;
//! let mut states = login.subscribe();
//! login.start();
//! while let Some(state) = states.next().await {
//!     if let LoginState::AwaitingUser { auth_url, .. } = &state {
//!         println!("open {auth_url} in the WebView");
//!     }
//! }
//! // Somewhere else, the WebView / Universal Link handler calls:
//! // login.handle_redirect(url);
//! let tokens = login.wait().await?;
//! println!("session valid until {}", tokens.session.expires());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod authorization;
pub mod backoff;
mod client;
pub mod config;
pub mod driver;
pub mod error;
pub mod flow;
pub mod http;
pub mod navigation;
pub mod oauth;
pub mod redirect;
pub mod secret;
pub mod session;
pub mod snapshot;
pub mod supervised;
pub mod timestamp;
pub mod tokens;
pub mod validate;

pub use authorization::{AuthorizationKind, AuthorizationParams, AuthorizationState};
pub use client::{
    AuthorizationFlow, Client, ClientCredentialsConfig, DEFAULT_REFRESH_SKEW, OidcClient,
    PkceConfig, SupervisedLogin,
};
pub use config::ClientConfig;
pub use driver::{FlowHandle, StateStream};
pub use error::{CancelOrigin, Error, ErrorCategory};
pub use flow::{IgnoredReason, RedirectOutcome};
pub use navigation::{Navigation, NavigationPolicy};
pub use oauth::{ClientAuth, TokenSet};
pub use secret::Secret;
pub use session::AccessSession;
pub use snapshot::{FileStorage, MemoryStorage, SecureStorage};
pub use supervised::{CodeSource, LoginState, SupervisedLoginParams, SupervisedTokens};
pub use timestamp::Timestamp;
pub use tokens::TokenManager;
