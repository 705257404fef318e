//! The gate in front of every provider endpoint: count, apply a queued fault, check partner auth.
//!
//! The order is part of the contract. Counting comes first so stats include faulted and
//! unauthorized requests (tests assert on "how many times did the client try"). Faults come
//! before auth and processing, so an injected `503` on `tokens` really means the code was not
//! consumed. Only then are `X-Client-Id`/`X-Client-Secret` checked (endpoints the browser calls,
//! the hosted page and its form post, need none).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Endpoint;
use crate::app::App;
use crate::faults::{self, Fault};
use crate::respond::ApiError;
use crate::server::ConnectionKill;

/// Whether a client must send partner credentials to this endpoint.
fn requires_partner_auth(endpoint: Endpoint) -> bool {
    match endpoint {
        Endpoint::Initialize | Endpoint::Status | Endpoint::Tokens | Endpoint::Accounts => true,
        // The browser calls the pages; the OAuth endpoints authenticate clients their own way
        // (Basic / form credentials / public client id; see `client_auth.rs`).
        Endpoint::AuthPage
        | Endpoint::AuthDecision
        | Endpoint::OAuthConnect
        | Endpoint::OAuthConsent
        | Endpoint::OAuthDecision
        | Endpoint::OAuthToken
        | Endpoint::Discovery
        | Endpoint::Jwks
        | Endpoint::OidcAuthorize
        | Endpoint::OidcDecision
        | Endpoint::OidcToken
        | Endpoint::Userinfo => false,
    }
}

/// Middleware for one provider endpoint; installed by [`crate::app::guarded`].
pub(crate) async fn guard(
    State((app, endpoint)): State<(App, Endpoint)>,
    req: Request,
    next: Next,
) -> Response {
    app.store().count(endpoint);
    if let Some(fault) = app.faults.pop(endpoint) {
        match fault {
            Fault::Delay(d) => tokio::time::sleep(d).await,
            Fault::DropConnection => {
                let kill = req.extensions().get::<ConnectionKill>().cloned();
                drop(req);
                return drop_connection(kill).await;
            }
            other => return faults::canned_response(&other, endpoint),
        }
    }
    if requires_partner_auth(endpoint) && !app.partner_authorized(req.headers()) {
        return ApiError::unauthorized().into_response();
    }
    next.run(req).await
}

/// Asks the connection task to drop the connection, then waits to be dropped with it, so no
/// response is ever written.
async fn drop_connection(kill: Option<ConnectionKill>) -> Response {
    if let Some(kill) = kill {
        kill.kill();
        std::future::pending::<()>().await;
    }
    // Only reachable if the router is served by something other than `server.rs`.
    faults::canned_response(&Fault::DropConnection, Endpoint::Status)
}
