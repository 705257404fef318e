//! The Aiia Enterprise supervised-login JSON API: initialize, status (long poll), tokens,
//! unattended login, accounts.
//!
//! Unattended login (`POST /v1/authentication/unattended {"userHash","loginToken"}`) answers
//! like `tokens` with a new session and a new login token that replaces the old one. Refusals
//! use the provider's detailed error shape: `400 InvalidInput` with `validationErrors` naming
//! `UserHash` / `LoginToken` for malformed input; `400 InvalidLoginToken` (unknown, replaced or
//! another user's), `400 LoginTokenExpired`, `400 UnattendedNotSupported` (the bank does not
//! support it; per user with [`crate::Sandbox::set_unattended_support`]) with a `reason`.
//!
//! Shapes follow the provider's documents (`aiia-enterprise-api-authentication.md`,
//! `aiia-enterprise-code-and-tokens.md`). The hosted page the `authUrl` points to is in
//! `routes/login_page.rs`.
//!
//! Status after success: the code stays on every `Succeeded` status response, also after it was
//! exchanged or has expired (the provider documents no change, and a stale code is what a real
//! status call may return). A client that exchanges whatever the status says, once from the
//! redirect and once from the poll, therefore gets `400 InvalidCode` the second time — the
//! double exchange the client must never make stays visible instead of being masked.

use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;
use url::Url;

use crate::clock::{later, wall_after};
use crate::http::authorization::bearer;
use crate::http::query::form_value;
use crate::http::respond::{self, ApiError};
use crate::model::endpoint::Endpoint;
use crate::model::session::SessionState;
use crate::model::store::Grant;
use crate::routes::Routes;
use crate::state::App;
use crate::timefmt;

/// The supervised-login routes.
pub(crate) fn routes(app: &App) -> Router<App> {
    Routes::new(app)
        .guarded(
            "/v1/authentication/initialize",
            Endpoint::Initialize,
            post(initialize),
        )
        .guarded(
            "/v1/authentication/{session_id}/status",
            Endpoint::Status,
            get(status),
        )
        .guarded("/v1/authentication/tokens", Endpoint::Tokens, post(tokens))
        .guarded(
            "/v1/authentication/unattended",
            Endpoint::Unattended,
            post(unattended),
        )
        .guarded("/v1/accounts", Endpoint::Accounts, get(accounts))
        .into_router()
}

/// Checks `userHash` against `^[a-zA-Z0-9-]{8,64}$`.
pub(crate) fn validate_user_hash(user_hash: &str) -> Result<(), String> {
    if let Some((i, c)) = user_hash
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "userHash may contain only a-z, A-Z, 0-9 and '-', found {c:?} at byte {i}"
        ));
    }
    let len = user_hash.len();
    if !(8..=64).contains(&len) {
        return Err(format!(
            "userHash must be 8 to 64 characters long, got {len}"
        ));
    }
    Ok(())
}

/// Checks that `redirectUrl` is an absolute http(s) URL with a host.
pub(crate) fn validate_redirect_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw)
        .map_err(|e| format!("redirectUrl must be an absolute http or https URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "redirectUrl must use http or https, not '{}'",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("redirectUrl must have a host".to_owned());
    }
    Ok(url)
}

async fn initialize(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let obj = respond::json_request(&headers, &body)?;
    let user_hash = respond::string_field(&obj, "userHash")?;
    validate_user_hash(user_hash).map_err(ApiError::invalid_request)?;
    let redirect = respond::string_field(&obj, "redirectUrl")?;
    let redirect = validate_redirect_url(redirect).map_err(ApiError::invalid_request)?;

    let (session_id, start_token) = app.store().create_session(
        user_hash,
        redirect,
        &app.config.default_script,
        Instant::now(),
    );
    let auth_url = app.link(
        &headers,
        "/v1/authentication/start",
        "startToken",
        &start_token,
    );
    Ok(respond::json(
        StatusCode::OK,
        &json!({ "authUrl": auth_url, "sessionId": session_id }),
    ))
}

/// Parses `pollTimeout` (whole seconds) from the query; `None` if absent.
fn poll_timeout(query: Option<&str>) -> Result<Option<u64>, ApiError> {
    let Some(value) = query.and_then(|q| form_value(q.as_bytes(), "pollTimeout")) else {
        return Ok(None);
    };
    value.trim().parse::<u64>().map(Some).map_err(|_| {
        ApiError::invalid_request(format!(
            "pollTimeout must be a non-negative whole number of seconds, got {value:?}"
        ))
    })
}

fn status_body(state: SessionState, code: Option<String>) -> Response {
    let body = match (state, code) {
        (SessionState::Succeeded, Some(code)) => json!({ "state": state.as_str(), "code": code }),
        _ => json!({ "state": state.as_str() }),
    };
    respond::json(StatusCode::OK, &body)
}

/// `GET /v1/authentication/{sessionId}/status[?pollTimeout=N]`.
///
/// A long poll waits on the session's `watch` channel, its own deadline, the scripted user's
/// deadline and the shutdown signal — whichever comes first — and re-reads the state. It never
/// sleeps in a loop, so it answers within a scheduler tick of the state change.
async fn status(
    State(app): State<App>,
    Path(session_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let timeout = poll_timeout(query.as_deref())?
        .map(|secs| Duration::from_secs(secs).min(app.config.max_poll_timeout))
        .unwrap_or_default();
    let deadline = later(Instant::now(), timeout);
    let mut shutdown = app.shutdown.clone();
    loop {
        let now = Instant::now();
        let view = app
            .store()
            .status(&session_id, now)
            .ok_or_else(ApiError::not_found)?;
        let stopping = *shutdown.borrow() || shutdown.has_changed().is_err();
        if view.state != SessionState::InProgress || now >= deadline || stopping {
            return Ok(status_body(view.state, view.code));
        }
        let wake = view.scripted_at.map_or(deadline, |s| s.min(deadline));
        let mut changed = view.changed;
        let gone = tokio::select! {
            res = changed.changed() => res.is_err(),
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => false,
            _ = shutdown.changed() => false,
        };
        if gone {
            // The session's sender vanished (cannot happen while the store lives); answer now.
            return Ok(status_body(view.state, view.code));
        }
    }
}

/// The `/v1/authentication/tokens` response, field for field as in the seed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokensResponse {
    success: bool,
    session: SessionTokens,
    login: LoginTokens,
    provider_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionTokens {
    expires: String,
    access_token: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginTokens {
    provider_id: String,
    expires: String,
    login_token: String,
    supports_unattended: bool,
    label: String,
    subject_id: String,
}

async fn tokens(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let obj = respond::json_request(&headers, &body)?;
    let code = respond::string_field(&obj, "code")?;
    let grant = app
        .store()
        .exchange(code, Instant::now(), app.lifetimes())
        .map_err(|e| ApiError::with_message(StatusCode::BAD_REQUEST, "InvalidCode", e.message()))?;

    Ok(tokens_response(&app, grant))
}

/// The `tokens` / `unattended` answer for a new grant.
fn tokens_response(app: &App, grant: Grant) -> Response {
    let now = SystemTime::now();
    let config = &app.config;
    let response = TokensResponse {
        success: true,
        session: SessionTokens {
            expires: timefmt::iso_offset_7(wall_after(now, config.access_token_lifetime)),
            access_token: grant.access_token,
        },
        login: LoginTokens {
            provider_id: config.provider_id.clone(),
            expires: timefmt::iso_z_6(wall_after(now, config.login_token_lifetime)),
            login_token: grant.login_token,
            supports_unattended: grant.supports_unattended,
            label: format!("{} {}", config.provider_id, timefmt::us_label(now)),
            subject_id: grant.subject_id,
        },
        provider_id: config.provider_id.clone(),
    };
    respond::json(StatusCode::OK, &response)
}

/// `POST /v1/authentication/unattended {"userHash","loginToken"}`.
async fn unattended(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let obj = respond::json_request(&headers, &body)?;
    let field = |name: &str| obj.get(name).and_then(|v| v.as_str()).unwrap_or_default();
    let (user_hash, login_token) = (field("userHash"), field("loginToken"));
    let mut invalid = Vec::new();
    if validate_user_hash(user_hash).is_err() {
        invalid.push((
            "UserHash",
            "The UserHash must be 8 to 64 characters of a-z, A-Z, 0-9 and '-'.",
        ));
    }
    if login_token.is_empty() {
        invalid.push(("LoginToken", "The LoginToken field is required."));
    }
    if !invalid.is_empty() {
        return Err(ApiError::invalid_fields(
            "One or more validation errors occurred.",
            &invalid,
        ));
    }
    let grant = app
        .store()
        .unattended(user_hash, login_token, Instant::now(), app.lifetimes())
        .map_err(|e| ApiError::with_reason(StatusCode::BAD_REQUEST, e.code(), e.reason()))?;
    Ok(tokens_response(&app, grant))
}

/// `GET /v1/accounts`: a session endpoint. Every successful call slides the access token's
/// expiry and reports it in `X-Access-Token-Expires`.
async fn accounts(State(app): State<App>, headers: HeaderMap) -> Response {
    let lifetime = app.config.access_token_lifetime;
    let account_id = bearer(&headers).and_then(|token| {
        app.store()
            .use_access_token(token, Instant::now(), lifetime)
    });
    let Some(account_id) = account_id else {
        return ApiError::unauthorized().into_response();
    };
    let expires = timefmt::iso_z_7(wall_after(SystemTime::now(), lifetime));
    let mut response = respond::json(
        StatusCode::OK,
        &json!({
            "accounts": [{
                "id": account_id,
                "name": "Everyday account",
                "currency": "DKK",
                "balance": 1234.56,
            }]
        }),
    );
    if let Ok(value) = HeaderValue::from_str(&expires) {
        response
            .headers_mut()
            .insert("x-access-token-expires", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_hash_rules() {
        assert!(validate_user_hash("test-user-id").is_ok());
        assert!(validate_user_hash(&"a".repeat(64)).is_ok());
        assert!(validate_user_hash("short").is_err());
        assert!(validate_user_hash(&"a".repeat(65)).is_err());
        assert!(validate_user_hash("has space-x").is_err());
        assert!(validate_user_hash("under_score").is_err());
        assert!(validate_user_hash("ææææææææ").is_err());
    }

    #[test]
    fn redirect_url_rules() {
        assert!(validate_redirect_url("https://httpbin.org/anything").is_ok());
        assert!(validate_redirect_url("http://127.0.0.1:9/cb?x=1").is_ok());
        assert!(validate_redirect_url("/relative").is_err());
        assert!(validate_redirect_url("myapp://callback").is_err());
        assert!(validate_redirect_url("ftp://example.com/").is_err());
    }

    #[test]
    fn poll_timeout_parsing() {
        assert_eq!(poll_timeout(None).unwrap(), None);
        assert_eq!(poll_timeout(Some("x=1")).unwrap(), None);
        assert_eq!(poll_timeout(Some("pollTimeout=5")).unwrap(), Some(5));
        assert!(poll_timeout(Some("pollTimeout=-1")).is_err());
        assert!(poll_timeout(Some("pollTimeout=1.5")).is_err());
        assert!(poll_timeout(Some("pollTimeout=")).is_err());
    }
}
