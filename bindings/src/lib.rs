//! # obauth-ffi: the Swift and Kotlin face of the ObAuth core
//!
//! UniFFI (proc macros, no UDL) exports the core's client, flows, states, errors and
//! navigation policy; `uniffi-bindgen` (the workspace binary in `bindings/bindgen`) generates
//! the Swift module `ObAuthFFI` and the Kotlin package `dev.obauth.ffi` from the built library
//! (library mode; names in the root `uniffi.toml`). Hand-written layers on top
//! (`bindings/kotlin`, `bindings/swift`) add `Flow<LoginState>` / `AsyncStream<LoginState>`
//! and coroutine / `async` conveniences.
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
//! - [`ObAuthClient`], [`SupervisedLogin`]: the objects (`login.rs`).
//! - [`ObAuthError`] (Kotlin `ObAuthException`, Swift `ObAuthError`): one variant per
//!   [`ErrorCategory`], i.e. per "what to do next".
//! - Data: [`ClientConfig`], [`SupervisedLoginParams`], [`LoginState`], [`SupervisedTokens`],
//!   [`RedirectOutcome`], [`Navigation`] (`types.rs`).
//! - Host traits: [`StateObserver`] (`observer.rs`), [`SecureStorage`] for snapshots
//!   (`storage.rs`), [`LogSink`] with [`set_log_sink`] (`logging.rs`).
//!
//! ## Secrets across the boundary
//! The client secret goes in and never comes out. Tokens come out as plain strings in
//! [`SupervisedTokens`]: the host must put them into the Keychain / Keystore and never log the
//! record (generated `toString()` / `description` print every field). Errors and log records
//! never contain secrets.

#![warn(missing_docs)]

#[cfg(target_os = "android")]
mod android;
mod error;
mod logging;
mod login;
mod observer;
mod runtime;
mod storage;
mod types;

pub use error::{ErrorCategory, ObAuthError};
pub use logging::{
    LogLevel, LogRecord, LogSink, clear_log_sink, dropped_log_records, set_log_sink,
};
pub use login::{ObAuthClient, SupervisedLogin};
pub use observer::StateObserver;
pub use storage::SecureStorage;
pub use types::{
    CancelOrigin, ClientConfig, CodeSource, IgnoredReason, LoginState, Navigation, RedirectOutcome,
    SupervisedLoginParams, SupervisedTokens,
};

uniffi::setup_scaffolding!();
