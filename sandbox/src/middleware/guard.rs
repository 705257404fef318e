//! The gate in front of every provider endpoint: count, check and record `X-Correlation-Id`,
//! apply a queued fault, check partner auth.
//!
//! A well-formed `X-Correlation-Id` is recorded ([`crate::Sandbox::correlation_log`]) and echoed
//! on the answer, faulted answers included, as the provider does; a malformed one is refused with
//! `400 InvalidInput` naming the field `X-Correlation-Id`.
//!
//! The order is part of the contract. Counting comes first so stats include faulted and
//! unauthorized requests (tests assert on "how many times did the client try"). Faults come
//! before auth and processing, so an injected `503` on `tokens` really means the code was not
//! consumed. Only then are `X-Client-Id`/`X-Client-Secret` checked (endpoints the browser calls,
//! the hosted page and its form post, need none).
//!
//! The canned answers of the faults that answer instead of processing live here too, with the
//! rest of what a fault does on the wire (the queues themselves are domain: `model/fault.rs`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::SandboxConfig;
use crate::crypto::constant_time_eq;
use crate::http::connection::ConnectionKill;
use crate::http::respond::{self, ApiError};
use crate::model::correlation;
use crate::model::endpoint::Endpoint;
use crate::model::fault::Fault;
use crate::state::App;

/// Whether a client must send partner credentials to this endpoint.
fn requires_partner_auth(endpoint: Endpoint) -> bool {
    match endpoint {
        Endpoint::Initialize
        | Endpoint::Status
        | Endpoint::Tokens
        | Endpoint::Accounts
        | Endpoint::Unattended => true,
        // The browser calls the pages; the OAuth endpoints authenticate clients their own way
        // (Basic / form credentials / public client id; see `oauth/client_auth.rs`).
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
        | Endpoint::Userinfo
        | Endpoint::Revocation
        | Endpoint::EndSession => false,
    }
}

/// Whether the request carries the right `X-Client-Id` and `X-Client-Secret`.
fn partner_authorized(config: &SandboxConfig, headers: &HeaderMap) -> bool {
    let matches = |name: &str, expected: &str| {
        headers
            .get(name)
            .is_some_and(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()))
    };
    // Evaluate both so timing does not reveal which one was wrong.
    let id_ok = matches("x-client-id", &config.client_id);
    let secret_ok = matches("x-client-secret", &config.client_secret);
    id_ok & secret_ok
}

/// Middleware for one provider endpoint; installed by `routes::Routes::guarded`.
pub(crate) async fn guard(
    State((app, endpoint)): State<(App, Endpoint)>,
    req: Request,
    next: Next,
) -> Response {
    app.store().count(endpoint);
    let correlation = match req.headers().get(correlation::HEADER) {
        None => None,
        Some(value) => match value.to_str().map_err(|_| "not ASCII").and_then(|v| {
            correlation::check(v)?;
            Ok(v)
        }) {
            Ok(v) => Some(v.to_owned()),
            Err(message) => {
                app.store().record_correlation(endpoint, None);
                return ApiError::invalid_fields(
                    "The X-Correlation-Id header is not valid.",
                    &[("X-Correlation-Id", message)],
                )
                .into_response();
            }
        },
    };
    app.store()
        .record_correlation(endpoint, correlation.clone());
    let mut response = answer(&app, endpoint, req, next).await;
    if let Some(value) = correlation.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(correlation::HEADER, value);
    }
    response
}

/// The answer after the correlation check: a fault, `401`, or the endpoint's own.
async fn answer(app: &App, endpoint: Endpoint, req: Request, next: Next) -> Response {
    if let Some(fault) = app.faults.pop(endpoint) {
        match fault {
            Fault::Delay(d) => tokio::time::sleep(d).await,
            Fault::DropConnection => {
                let kill = req.extensions().get::<ConnectionKill>().cloned();
                drop(req);
                return drop_connection(kill).await;
            }
            other => return canned_response(&other, endpoint),
        }
    }
    if requires_partner_auth(endpoint) && !partner_authorized(&app.config, req.headers()) {
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
    canned_response(&Fault::DropConnection, Endpoint::Status)
}

/// The response for a fault that answers instead of processing (`ServerError`, `TooManyRequests`,
/// `MalformedJson`, `InvalidInput`). `Delay` and `DropConnection` are handled by the caller.
fn canned_response(fault: &Fault, endpoint: Endpoint) -> Response {
    match fault {
        Fault::ServerError(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let name: String = status
                .canonical_reason()
                .unwrap_or("Server Error")
                .split_whitespace()
                .collect();
            respond::error(status, &name)
        }
        Fault::TooManyRequests { retry_after_secs } => {
            let mut response = respond::error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            response
        }
        Fault::MalformedJson => {
            // A plausible response cut off mid-way, so a client that only sniffs the start of the
            // body (or trusts the Content-Type) is caught.
            let body = match endpoint {
                Endpoint::Initialize => r#"{"authUrl":"http://127.0.0.1/v1/authentication/sta"#,
                Endpoint::Status => r#"{"state":"Succeeded","code":"qgAA++//"#,
                Endpoint::Tokens | Endpoint::Unattended => {
                    r#"{"success":true,"session":{"expires":"2019-01-23T"#
                }
                Endpoint::OAuthToken | Endpoint::OidcToken => {
                    r#"{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VySWQiOi"#
                }
                Endpoint::Discovery => {
                    r#"{"issuer":"http://127.0.0.1/oidc","authorization_endpoint":"http://127"#
                }
                Endpoint::Jwks => r#"{"keys":[{"kty":"oct","kid":"sandbox-hs2"#,
                _ => r#"{"error":"#,
            };
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body,
            )
                .into_response()
        }
        Fault::InvalidInput { field } => {
            let message = format!("The value sent for {field} is not valid: <echo of the request>");
            ApiError::invalid_fields(
                "One or more validation errors occurred (<echo of the request>).",
                &[(field.as_str(), message.as_str())],
            )
            .into_response()
        }
        Fault::Delay(_) | Fault::DropConnection => {
            respond::error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError")
        }
    }
}
