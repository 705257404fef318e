//! # ObAuth protocol
//!
//! Everything ObAuth knows about open-banking sign-in that does not need I/O: the flows as
//! sans-IO state machines, the wire formats of every provider dialect, errors by what to do
//! next, redirect and navigation rules, and the snapshot format.
//!
//! ## Why a crate of its own
//! The machines must be testable as plain function calls (every interleaving of redirect, poll,
//! cancel and timeout checked exhaustively) and portable to any runtime. Keeping them in a crate
//! that depends on no async runtime, HTTP client, TLS stack or random source lets the compiler
//! enforce that: this crate reads no clock and draws no randomness. Time and entropy come in
//! with the inputs ([`flow::Ctx`]) or at construction ([`oauth::FlowSecrets::from_entropy`]);
//! requests go out as data ([`http::HttpRequest`]) in the machines' effects. The driver crate
//! (`obauth`) runs them with tokio and reqwest, and re-exports this crate's modules, so apps
//! depend on `obauth` only.
//!
//! ## Layout
//! - [`flow`]: the contract (inputs, effects, redirect outcomes) every flow implements.
//! - [`supervised`]: Aiia Enterprise supervised login (initialize → WebView → redirect or
//!   status long-poll → exchange once).
//! - [`authorization`]: authorization-code flows — Aiia Data connect, and PKCE for public
//!   clients — with state checks, wildcard redirects and ID-token nonce checks.
//! - [`oauth`]: token endpoint wire formats, PKCE/state/nonce values, OIDC discovery.
//! - [`renewal`]: one token renewal (refresh token, client credentials) as a machine.
//! - `machine_kit` (crate-private): what the flow machines share, written once (how a flow
//!   ends, the deadline, resending a code while it lives, reading a redirect, the rule for a
//!   user's cancel). Each machine's directory has a `README.md` whose diagram a test checks
//!   against the machine.
//! - [`correlation`]: the `X-Correlation-Id` every flow sends on each of its requests.
//! - [`snapshot`]: the versioned snapshot format (explicit records, frozen per version).
//! - [`navigation`]: the WebView navigation policy.
//! - Shared pieces: [`secret`] (redacted values), [`error`] (errors by what to do next),
//!   [`redirect`] (matching and exact decoding), [`redact`] (URLs as logs may show them), [`backoff`], [`timestamp`], [`session`]
//!   (sliding expiry), [`validate`], [`config`], [`http`] (HTTP as data).
//! - `ffi` (feature `uniffi`): how these types cross to Swift and Kotlin. With the feature, the
//!   types an app sees derive UniFFI's traits where they are defined, as a UniFFI component of
//!   their own, and the FFI crate exports them as they are.

#![warn(missing_docs)]

pub mod authorization;
pub mod backoff;
pub mod config;
pub mod correlation;
pub mod error;
#[cfg(feature = "uniffi")]
pub mod ffi;
pub mod flow;
pub mod http;
mod machine_kit;
pub mod navigation;
pub mod oauth;
pub mod redact;
pub mod redirect;
pub mod renewal;
pub mod secret;
pub mod session;
pub mod snapshot;
pub mod supervised;
pub mod timestamp;
pub mod validate;

#[cfg(test)]
mod test_support;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
