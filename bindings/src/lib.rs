//! # obauth-ffi: the Swift and Kotlin face of the ObAuth core
//!
//! UniFFI (proc macros, no UDL) exports the core's clients and flows; `uniffi-bindgen` (the
//! workspace binary in `bindings/bindgen`) generates the Swift module `ObAuthFFI` and the Kotlin
//! packages `dev.obauth.ffi` (this crate) and `dev.obauth` (the protocol's types) from the
//! built library (library mode; names in the root `uniffi.toml`). Hand-written layers on top
//! (`bindings/kotlin`, `bindings/swift`) add `Flow<…State>` / `AsyncStream<…State>` and
//! coroutine / `async` conveniences.
//!
//! ## Why this crate only translates
//! Every decision — validation, the navigation policy, what a redirect means, retries, exactly
//! one code exchange, the threads and the log filter — lives in the core, where it is unit- and
//! property-tested without a foreign runtime. The types an app sees are the core's own where they
//! can be: with the feature `uniffi`, `obauth-protocol` derives UniFFI's traits on its states,
//! tokens and enums, and exports `Secret`, `Timestamp` and its `Error` (as [`ObAuthError`]) as
//! custom types (`obauth_protocol::ffi`; an `Error` inside an outcome crosses as that same
//! plain error). This crate exports the objects, declares the host traits and, with
//! `#[uniffi::remote]`, the core's own types that belong to this component (`dev.obauth.ffi` in
//! Kotlin): outcomes, navigation, sign-out parameters, log records, the relay's consent page —
//! tuple variants get their field names there. It mirrors only what the core shapes differently
//! for Rust callers (durations as milliseconds, optional parameters, nested tokens), with a
//! `From` conversion and nothing else. The core runs on `obauth::host` (its threads,
//! foreign-executor futures, state and log delivery, the completion-shaped host transport).
//!
//! ## Map
//! - Clients: [`ObAuthClient`] (supervised login, connect; `login.rs`, `authorization.rs`) and
//!   [`OidcClient`] (PKCE, client credentials, discovery; `oidc.rs`).
//! - Flows: [`SupervisedLogin`] and [`AuthorizationFlow`], the same shape over the core's
//!   generic `FlowHandle`, written once by the macro in `flow.rs`.
//! - Tokens: [`TokenManager`] (`tokens.rs`); unattended login and [`SessionAccess`]
//!   (`unattended.rs`).
//! - Mirrors (`types.rs`): [`ClientConfig`], [`SupervisedLoginParams`], [`AuthorizationParams`],
//!   [`SupervisedTokens`]; remote declarations of the core's [`RedirectOutcome`],
//!   [`Navigation`], [`IgnoredReason`], [`PkceConfig`], [`ClientCredentialsConfig`].
//! - Host traits: [`StateObserver`], [`AuthorizationStateObserver`] (`observer.rs`),
//!   [`SecureStorage`] (`storage.rs`), [`LogSink`] with [`set_log_sink`] (`logging.rs`),
//!   [`HttpTransport`] with [`set_http_transport`] (`transport.rs`: the app's networking; the
//!   only HTTP client of the platform-networking flavour, built without the `reqwest` feature).
//!
//! ## Secrets across the boundary
//! Every secret (client secret; access, refresh, ID and login token) crosses as the core's
//! `Secret`, a UniFFI custom type mapped (root `uniffi.toml`) to the hand-written Kotlin
//! `dev.obauth.Secret` and Swift `Secret`: they print `[redacted]` and give the value only
//! through `expose()`, so printing a record ([`ClientConfig`], [`SupervisedTokens`],
//! `TokenSet`, [`ClientCredentialsConfig`]) never shows a secret. Client secrets go in and
//! never come out. Errors and log records never contain secrets.

#![warn(missing_docs)]

#[cfg(all(target_os = "android", feature = "reqwest"))]
mod android;
mod authorization;
mod flow;
mod logging;
mod login;
mod observer;
mod oidc;
mod relay;
mod sign_out;
mod storage;
mod tokens;
mod transport;
mod types;
mod unattended;

pub use authorization::AuthorizationFlow;
pub use logging::{
    LogLevel, LogRecord, LogSink, clear_log_sink, dropped_log_records, set_log_sink,
};
pub use login::{ObAuthClient, SupervisedLogin};
pub use obauth::ffi::ObAuthError;
pub use observer::{AuthorizationStateObserver, StateObserver};
pub use oidc::OidcClient;
pub use relay::{AppTokenProvider, ConsentPage};
pub use sign_out::{RevocationOutcome, SignOutOutcome, SignOutParams};
pub use storage::SecureStorage;
pub use tokens::{TokenManager, token_set_from_json, token_set_to_json};
pub use transport::{
    HttpCompletion, HttpHeader, HttpTransport, HttpTransportError, HttpTransportRequest,
    HttpTransportResponse, clear_http_transport, set_http_transport,
};
pub use types::{
    AuthorizationParams, ClientConfig, ClientCredentialsConfig, IgnoredReason, Navigation,
    PkceConfig, RedirectOutcome, SupervisedLoginParams, SupervisedTokens,
};
pub use unattended::{SessionAccess, supervised_tokens_from_json, supervised_tokens_to_json};

uniffi::setup_scaffolding!();

/// The body of every exported async method: `call` on a clone of the core object `core`, on the
/// core's runtime ([`obauth::host::run`]: a panic becomes `Fatal`), its output converted to what
/// the host receives.
async fn run<C, T, U, F>(core: &C, call: impl FnOnce(C) -> F) -> Result<U, ObAuthError>
where
    C: Clone,
    F: std::future::Future<Output = Result<T, obauth::Error>> + Send + 'static,
    T: Send + 'static,
    U: From<T>,
{
    obauth::host::run(call(core.clone())).await.map(U::from)
}
