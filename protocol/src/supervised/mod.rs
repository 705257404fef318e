//! Aiia Enterprise supervised login.
//!
//! `POST /v1/authentication/initialize` creates a session and returns the `authUrl` the host
//! shows in its WebView. The user finishes at the bank; the app learns the result either from
//! the redirect to `redirectUrl?code=…` or from `GET /v1/authentication/{sessionId}/status`
//! long-polling, whichever comes first (redirects get lost in WebViews, so both run). The code
//! lives one minute and is exchanged exactly once at `POST /v1/authentication/tokens` for a
//! session access token (sliding expiry) and a login token.
//!
//! With that login token, [`unattended`] starts later sessions without the user, where the bank
//! supports it.
//!
//! The machine and its diagram: `README.md` in this directory (a mermaid state diagram that a
//! test checks against the machine, edge for edge).

mod api;
mod machine;
mod state;
pub mod unattended;

pub use api::{InitializeResponse, StatusResponse};
pub use machine::SupervisedLoginMachine;
pub use state::{CodeSource, LoginState, LoginToken, SupervisedLoginParams, SupervisedTokens};

#[cfg(test)]
mod tests;
