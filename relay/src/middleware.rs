//! The layers around the routes: authentication plus the rate limit (per route), and the
//! deadline plus the access log (around everything).
//!
//! The access log is one line per request at `info` on target `obauth_relay::access`:
//! `METHOD ROUTE STATUS MSms user=XXXXXXXXXXXX [note]`. ROUTE is the route *template* (for
//! example `/v1/authentication/{handle}/status`), never the request's path or query, so no
//! handle, code or token can reach it; `user` is the first 12 hex characters of the user hash;
//! the note is a fixed reason (e.g. `expired`), never a value from the request. A well-formed
//! `X-Correlation-Id` from the device (the provider's format, checked by
//! [`obauth_protocol::correlation::CorrelationId`]) is appended as `cid=…` and forwarded on every
//! provider call made for the request ([`crate::upstream`]), so one support ticket can follow a
//! login from the device through the relay to the provider; a malformed one is dropped.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use obauth_protocol::correlation::CorrelationId;

use crate::app_token::Rejected;
use crate::crypto::UserHash;
use crate::respond::{self, ErrorCode, LogNote};
use crate::upstream::CORRELATION_ID;

use crate::state::{AppState, Caller};

/// The caller, for the access log (a response extension).
#[derive(Debug, Clone, Copy)]
struct LogUser(UserHash);

/// Verifies the app token, derives the caller, applies the rate limit.
pub(crate) async fn authenticate(
    State(app): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let identity = match app.verifier.verify_header(header).await {
        Ok(identity) => identity,
        Err(Rejected(why)) => {
            let mut response = respond::invalid_app_token();
            response.extensions_mut().insert(LogNote(why));
            return response;
        }
    };
    let user = app.keys.user_hash(&identity.issuer, &identity.subject);
    if let Some(limiter) = &app.limiter
        && let Err(wait) = limiter.check(user, Instant::now())
    {
        let mut response = respond::too_many_requests(wait);
        response.extensions_mut().insert(LogUser(user));
        response.extensions_mut().insert(LogNote("rate limited"));
        return response;
    }
    req.extensions_mut().insert(Caller { user });
    let mut response = next.run(req).await;
    response.extensions_mut().insert(LogUser(user));
    response
}

/// Cuts a request off at the deadline (`504 Timeout`) and writes the access log line.
pub(crate) async fn access_log(
    State(app): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "-".to_owned(), |m| m.as_str().to_owned());
    let correlation = req
        .headers()
        .get(CORRELATION_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| CorrelationId::parse(v).ok());
    let cid = correlation
        .as_ref()
        .map_or_else(String::new, |id| format!(" cid={id}"));
    let run = crate::upstream::with_correlation_id(correlation, next.run(req));
    let response = match tokio::time::timeout(app.limits.request_deadline(), run).await {
        Ok(response) => response,
        Err(_) => {
            let mut r = respond::error(StatusCode::GATEWAY_TIMEOUT, ErrorCode::Timeout);
            r.extensions_mut().insert(LogNote("deadline passed"));
            r
        }
    };
    let user = response
        .extensions()
        .get::<LogUser>()
        .map_or_else(|| "-".to_owned(), |u| u.0.short());
    let note = response.extensions().get::<LogNote>().map_or("", |n| n.0);
    log::info!(
        target: "obauth_relay::access",
        "{method} {route} {} {}ms user={user}{cid}{}{note}",
        response.status().as_u16(),
        started.elapsed().as_millis(),
        if note.is_empty() { "" } else { " " },
    );
    response
}
