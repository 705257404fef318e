//! # obauth-ffi: the Swift and Kotlin face of the ObAuth core
//!
//! UniFFI (proc macros, no UDL) exports the core's client, flows, states, errors and
//! navigation policy; `uniffi-bindgen` (the workspace binary in `bindings/bindgen`) generates
//! the Swift module `ObAuthFFI` and the Kotlin package `dev.obauth.ffi` from the built library
//! (library mode; names in the root `uniffi.toml`). Hand-written layers on top
//! (`bindings/kotlin`, `bindings/swift`) add `Flow<…State>` / `AsyncStream<…State>` and
//! coroutine / `async` conveniences.
//!
//! ## Why this crate only translates
//! Every decision — validation, the navigation policy, what a redirect means, retries, exactly
//! one code exchange — lives in the `obauth` core, where it is unit- and property-tested
//! without a foreign runtime. This crate converts types (`From` impls), runs the core on a
//! small lazily started tokio runtime (`runtime.rs`), and bridges host-implemented traits
//! ([`StateObserver`], [`SecureStorage`], [`LogSink`]). If a function here starts to decide something, it belongs
//! in the core.
//!
//! ## Map
//! - Clients: [`ObAuthClient`] (an API root with partner credentials: supervised login,
//!   connect) in `login.rs` / `authorization.rs`; [`OidcClient`] (OAuth 2.0 / OpenID Connect:
//!   PKCE, client credentials, discovery) in `oidc.rs`.
//! - Flows: [`SupervisedLogin`] and [`AuthorizationFlow`] (connect and PKCE), the same shape
//!   over the core's generic `FlowHandle`, written once by the macro in `flow.rs`.
//! - Tokens: [`TokenManager`] (`tokens.rs`): fresh tokens with single-flight renewal.
//! - [`ObAuthError`] (Kotlin `ObAuthException`, Swift `ObAuthError`): one variant per
//!   [`ErrorCategory`], i.e. per "what to do next".
//! - Data (`types.rs`): [`ClientConfig`], [`SupervisedLoginParams`], [`LoginState`],
//!   [`SupervisedTokens`], [`AuthorizationParams`], [`AuthorizationState`], [`TokenSet`],
//!   [`PkceConfig`], [`ClientCredentialsConfig`] with [`ClientAuth`], [`ProviderMetadata`],
//!   [`RedirectOutcome`], [`Navigation`].
//! - Host traits: [`StateObserver`] and [`AuthorizationStateObserver`] (`observer.rs`),
//!   [`SecureStorage`] for snapshots and tokens (`storage.rs`), [`LogSink`] with
//!   [`set_log_sink`] (`logging.rs`).
//!
//! ## Secrets across the boundary
//! Every secret (client secret; access, refresh, ID and login token) crosses as the core's
//! `Secret`, a UniFFI custom type mapped (root `uniffi.toml`) to the hand-written Kotlin
//! `dev.obauth.Secret` and Swift `Secret`: they print `[redacted]` and give the value only
//! through `expose()`, so printing a record ([`ClientConfig`], [`SupervisedTokens`],
//! [`TokenSet`], [`ClientCredentialsConfig`]) never shows a secret. Client secrets go in and
//! never come out. Errors and log records never contain secrets.

#![warn(missing_docs)]

#[cfg(target_os = "android")]
mod android;
mod authorization;
mod error;
mod flow;
mod logging;
mod login;
mod observer;
mod oidc;
mod runtime;
mod storage;
mod tokens;
mod types;

pub use authorization::AuthorizationFlow;
pub use error::{ErrorCategory, ObAuthError};
pub use logging::{
    LogLevel, LogRecord, LogSink, clear_log_sink, dropped_log_records, set_log_sink,
};
pub use login::{ObAuthClient, SupervisedLogin};
pub use observer::{AuthorizationStateObserver, StateObserver};
pub use oidc::OidcClient;
pub use storage::SecureStorage;
pub use tokens::{TokenManager, token_set_from_json, token_set_to_json};
pub use types::{
    AuthorizationParams, AuthorizationState, CancelOrigin, ClientAuth, ClientConfig,
    ClientCredentialsConfig, CodeSource, IgnoredReason, LoginState, Navigation, PkceConfig,
    ProviderMetadata, RedirectOutcome, SupervisedLoginParams, SupervisedTokens, TokenSet,
};

uniffi::setup_scaffolding!();
