//! # ObAuth core
//!
//! Open-banking sign-in for native apps, done once and correctly: the authentication state
//! machines, status polling, code exchange and token lifecycle of Aiia / Mastercard Open Finance
//! style providers. The host app keeps only its WebView and its Universal Link / App Link
//! plumbing and hands every URL it meets to the core.
//!
//! ## Two crates
//! The protocol — every flow as a sans-IO state machine, the providers' wire formats, errors,
//! redirect and navigation rules, the snapshot format — is the crate `obauth-protocol`, which
//! depends on no runtime, HTTP client, TLS stack or random source and reads no clock. This crate
//! is the driver around it: tokio timers, reqwest over rustls, the real clock and the OS random
//! source (`live.rs`), the host's storage (`storage.rs`), the token manager's I/O and the
//! [`Client`] / [`OidcClient`] façades. The protocol's modules are re-exported here under their
//! own names, so `obauth::supervised`, `obauth::error`, … are the paths apps use.
//!
//! ## Layout
//! - [`flow`]: the sans-IO contract (inputs, effects, redirect outcomes) every flow implements.
//! - [`supervised`]: Aiia Enterprise supervised login (initialize → WebView → redirect or
//!   status long-poll → exchange once).
//! - [`authorization`]: authorization-code flows — Aiia Data connect, and PKCE for public
//!   clients — with state checks, wildcard redirects and ID-token nonce checks.
//! - [`oauth`]: token endpoint wire formats, PKCE/state/nonce values, OIDC discovery.
//! - [`TokenManager`]: fresh tokens with single-flight renewal (`tokens.rs`).
//! - [`snapshot`]: versioned snapshots and the [`SecureStorage`] the host provides
//!   (`storage.rs`).
//! - [`navigation`]: the WebView navigation policy.
//! - [`FlowHandle`]: what hosts hold; the driver (`driver/`) runs flows with reqwest/rustls and
//!   tokio.
//! - [`host`]: running inside a foreign host (the Swift/Kotlin bindings): the background
//!   threads, awaiting from a foreign executor, delivering states and logs to host callbacks.
//! - [`Client`] and [`OidcClient`]: the entry points; [`Client::unattended_login`] and
//!   [`Client::resume_session`] start sessions from a stored login token without the user;
//!   [`OidcClient::sign_out`] revokes and forgets a PKCE sign-in.
//! - [`correlation`]: the `X-Correlation-Id` of every flow ([`FlowHandle::correlation_id`]).
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

mod client;
mod driver;
pub mod host;
mod live;
mod sign_out;
mod storage;
mod tokens;
mod unattended;

pub use obauth_protocol::{
    authorization, backoff, config, correlation, error, flow, http, navigation, oauth, redirect,
    renewal, secret, session, supervised, validate,
};

/// How the protocol's types cross to Swift and Kotlin ([`obauth_protocol::ffi`]; feature
/// `uniffi`).
#[cfg(feature = "uniffi")]
pub use obauth_protocol::ffi;

/// The versioned snapshot format ([`obauth_protocol::snapshot`]) and where snapshots are kept
/// ([`SecureStorage`], the host's, and the [`FileStorage`] and [`MemoryStorage`] provided).
pub mod snapshot {
    pub use crate::storage::{FileStorage, MemoryStorage, SecureStorage};
    pub use obauth_protocol::snapshot::*;
}

/// How the driver sends HTTP: reqwest by default (feature `reqwest`), or a sender the host
/// installs ([`set_host_sender`](crate::transport::set_host_sender)) — the platform-networking
/// flavour of the mobile library, where URLSession / HttpURLConnection carry every request.
pub mod transport {
    #[cfg(feature = "reqwest")]
    pub use crate::driver::ReqwestSender;
    pub use crate::driver::{HttpSender, MAX_BODY, SendFuture, set_host_sender};
}

/// Wall-clock instants and monotonic readings ([`obauth_protocol::timestamp`]) and the real
/// clocks ([`now`](crate::timestamp::now), [`mono`](crate::timestamp::mono)).
pub mod timestamp {
    pub use crate::live::{mono, now};
    pub use obauth_protocol::timestamp::*;
}

pub use authorization::{AuthorizationKind, AuthorizationParams, AuthorizationState};
pub use client::{
    AuthorizationFlow, Client, ClientCredentialsConfig, DEFAULT_REFRESH_SKEW, OidcClient,
    PkceConfig, SupervisedLogin,
};
pub use config::{AppTokenProvider, AppTokenSource, ClientConfig, ConsentPage};
pub use driver::{FlowHandle, StateStream};
pub use error::{CancelOrigin, Error, ErrorCategory, ErrorInfo};
pub use flow::{IgnoredReason, RedirectOutcome};
pub use navigation::{Navigation, NavigationPolicy};
pub use oauth::{AuthorizeExtras, ClientAuth, TokenSet};
pub use secret::Secret;
pub use session::AccessSession;
pub use sign_out::{RevocationOutcome, SignOutOutcome, SignOutParams};
pub use snapshot::{FileStorage, MemoryStorage, SecureStorage};
pub use supervised::unattended::SupervisedLoginReason;
pub use supervised::{CodeSource, LoginState, SupervisedLoginParams, SupervisedTokens};
pub use timestamp::Timestamp;
pub use tokens::TokenManager;
pub use unattended::SessionAccess;
