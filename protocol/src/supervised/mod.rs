//! Aiia Enterprise supervised login.
//!
//! `POST /v1/authentication/initialize` creates a session and returns the `authUrl` the host
//! shows in its WebView. The user finishes at the bank; the app learns the result either from
//! the redirect to `redirectUrl?code=…` or from `GET /v1/authentication/{sessionId}/status`
//! long-polling, whichever comes first (redirects get lost in WebViews, so both run). The code
//! lives one minute and is exchanged exactly once at `POST /v1/authentication/tokens` for a
//! session access token (sliding expiry) and a login token.
//!
//! ```text
//!  Created ──start──▶ Initializing ──authUrl──▶ AwaitingUser ──code (redirect | poll)──▶ CodeReceived
//!                        │                         │  │                                     │
//!                        │ (retry on 5xx/429/net)  │  └─ status Failed/Cancelled/NotApplicable, error redirect
//!                        ▼                         ▼                                        ▼
//!                     Failed                    Failed | Cancelled | NotApplicable      Exchanging ──▶ Authenticated
//!  any non-terminal state ── cancel ──▶ Cancelled      any non-terminal state ── deadline ──▶ TimedOut
//! ```

mod api;
mod machine;
mod state;

pub use api::{InitializeResponse, StatusResponse};
pub use machine::SupervisedLoginMachine;
pub use state::{CodeSource, LoginState, LoginToken, SupervisedLoginParams, SupervisedTokens};

#[cfg(test)]
mod tests;
