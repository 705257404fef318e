//! Authorization-code flows: Aiia Data's connect flow, and OAuth 2.0 / OpenID Connect with PKCE
//! for public clients.
//!
//! Both send the user to an authorize URL in the WebView and wait for the redirect back with
//! `code` and `state`; they differ only in the URL's parameters and the token request, so one
//! machine serves both ([`AuthorizationKind`]).
//!
//! The machine and its diagram: `README.md` in this directory (a mermaid state diagram that a
//! test checks against the machine, edge for edge). A redirect's `error` that means the user
//! cancelled or declined (`access_denied`, `cancelled`, …: the one rule both machines share)
//! ends the flow as `Cancelled { by: User }`; another error fails it.
//!
//! The `state` is 256 random bits, new per flow, compared in constant time; a redirect whose
//! state is missing or different is rejected and never exchanged, and the flow keeps waiting
//! for the genuine one. PKCE uses S256 only; the ID token's `nonce`, `aud` and `exp` are
//! checked (its signature is not: it comes straight from the token endpoint over TLS, which
//! OpenID Connect Core §3.1.3.7 accepts in place of a signature check).

mod machine;
mod state;

pub use machine::AuthorizationMachine;
pub use state::{AuthorizationKind, AuthorizationParams, AuthorizationState};

#[cfg(test)]
mod tests;
