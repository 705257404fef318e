//! Aiia's token endpoint: `POST /v1/oauth/token`, JSON body, client authenticated with
//! `Authorization: Basic base64(client_id:client_secret)` (RFC 7617) — the only way Aiia accepts.
//!
//! Grants (`aiia-data-connect-flow.md`):
//! - `{"grant_type":"authorization_code","code":…,"redirect_uri":…}`: the code from the connect
//!   redirect, single-use, valid for [`crate::SandboxConfig::code_lifetime`] (one minute), and
//!   `redirect_uri` must equal, byte for byte, the one sent to `/v1/oauth/connect`;
//! - `{"grant_type":"refresh_token","refresh_token":…}`: rotates — the answer carries a new
//!   refresh token and the old one is dead.
//!
//! The answer is the seed's, field for field: `{"access_token","expires_in","redirect_uri",
//! "refresh_token","token_type":"bearer"}` (lower-case `bearer`, as Aiia writes it). There is no
//! `consentId` here: it comes only on the redirect, exactly as the provider documents. Tokens are
//! HS256 JWTs shaped like the seed's (`userId`, `clientId`, `role`, `sessionId`, `consentId` in
//! the refresh token; see `jwt.rs`).
//!
//! Errors: wrong or missing Basic credentials → `401 {"error":"invalid_client"}` with
//! `WWW-Authenticate`; a body that is not declared JSON → `415`; bad grants → `400` OAuth errors
//! (`invalid_request`, `invalid_grant`, `unsupported_grant_type`).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::app::{App, guarded};
use crate::basic_auth::{self, AuthorizationHeader};
use crate::client_auth::ClientAuthMethod;
use crate::oauth_error::{self, OAuthError};
use crate::oauth_store::{AccessRecord, Flow, RefreshGrant};
use crate::store::later;
use crate::{Endpoint, TokenRequestRecord, jwt, tokens};

/// The Aiia token route.
pub(crate) fn routes(app: &App) -> Router<App> {
    Router::new().route(
        "/v1/oauth/token",
        guarded(app, Endpoint::OAuthToken, post(token)),
    )
}

/// The seed's token response.
#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    redirect_uri: String,
    refresh_token: String,
    token_type: &'static str,
}

/// Seconds since the Unix epoch (JWT `iat`/`exp`).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether the `Content-Type` is `mime` (parameters such as `charset` ignored).
pub(crate) fn content_type_is(headers: &HeaderMap, mime: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(mime))
}

fn string_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a str, OAuthError> {
    match obj.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            Err(OAuthError::invalid_request(format!("{name} is required")))
        }
        Some(_) => Err(OAuthError::invalid_request(format!(
            "{name} must be a string"
        ))),
    }
}

async fn token(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let auth = basic_auth::parse(&headers);
    let parsed: Option<Map<String, Value>> = match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    let grant_type = parsed
        .as_ref()
        .and_then(|m| m.get("grant_type"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let body_has_secret = parsed
        .as_ref()
        .is_some_and(|m| m.contains_key("client_secret"));
    let (method, client_id) = match &auth {
        AuthorizationHeader::Basic(c) => (ClientAuthMethod::ClientSecretBasic, Some(c.client_id())),
        AuthorizationHeader::Invalid => (ClientAuthMethod::ClientSecretBasic, None),
        AuthorizationHeader::Absent if body_has_secret => {
            let id = parsed
                .as_ref()
                .and_then(|m| m.get("client_id"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            (ClientAuthMethod::ClientSecretPost, id)
        }
        AuthorizationHeader::Absent => (ClientAuthMethod::Missing, None),
    };
    let config = &app.config;
    let authenticated = matches!(&auth, AuthorizationHeader::Basic(c)
        if c.matches(&config.client_id, &config.client_secret));
    let result = process(&app, &headers, authenticated, parsed);
    let (status, error) = match &result {
        Ok(_) => (200, None),
        Err(e) => (e.status.as_u16(), Some(e.error.to_owned())),
    };
    let mut store = app.store();
    if authenticated {
        store.oauth.counters.client_secret_basic += 1;
    }
    store.oauth.record(TokenRequestRecord {
        endpoint: Endpoint::OAuthToken,
        path: "/v1/oauth/token".to_owned(),
        grant_type,
        client_id,
        auth_method: method,
        status,
        error,
    });
    drop(store);
    match result {
        Ok(body) => oauth_error::token_response(&body),
        Err(e) => e.into_response(),
    }
}

fn process(
    app: &App,
    headers: &HeaderMap,
    authenticated: bool,
    body: Option<Map<String, Value>>,
) -> Result<TokenResponse, OAuthError> {
    let config = &app.config;
    if !authenticated {
        return Err(OAuthError::invalid_client(true));
    }
    if !content_type_is(headers, "application/json") {
        return Err(OAuthError::unsupported_media_type("application/json"));
    }
    let obj =
        body.ok_or_else(|| OAuthError::invalid_request("The request body must be a JSON object."))?;
    let now = Instant::now();
    let grant = match string_field(&obj, "grant_type")? {
        "authorization_code" => {
            let code = string_field(&obj, "code")?;
            let redirect_uri = string_field(&obj, "redirect_uri")?;
            let issued = app.store().oauth.redeem_code(
                code,
                Flow::Connect,
                now,
                config.code_lifetime,
                |issued| {
                    if issued.request.client_id != config.client_id {
                        return Err(OAuthError::invalid_grant(
                            "The code was issued to another client.",
                        ));
                    }
                    if issued.request.redirect_uri != redirect_uri {
                        return Err(OAuthError::invalid_grant(
                            "redirect_uri does not match the one used at /v1/oauth/connect.",
                        ));
                    }
                    Ok(())
                },
            )?;
            RefreshGrant {
                flow: Flow::Connect,
                client_id: issued.request.client_id,
                scopes: issued.request.scopes,
                consent_id: issued.consent_id,
                subject: issued.subject,
                redirect_uri: issued.request.redirect_uri,
                expires_at: later(now, config.oauth_refresh_token_lifetime),
            }
        }
        "refresh_token" => {
            let token = string_field(&obj, "refresh_token")?;
            let old =
                app.store()
                    .oauth
                    .take_refresh(token, Flow::Connect, &config.client_id, now)?;
            RefreshGrant {
                expires_at: later(now, config.oauth_refresh_token_lifetime),
                ..old
            }
        }
        other => return Err(OAuthError::unsupported_grant_type(other)),
    };
    Ok(issue(app, grant, now))
}

/// Issues an access token and a (new) refresh token for `grant`.
fn issue(app: &App, grant: RefreshGrant, now: Instant) -> TokenResponse {
    let config = &app.config;
    let iat = unix_now();
    let access_life = config.oauth_access_token_lifetime.as_secs();
    let refresh_life = config.oauth_refresh_token_lifetime.as_secs();
    let session_id = tokens::uuid();
    let access_token = jwt::sign(
        &json!({
            "userId": grant.subject,
            "clientId": grant.client_id,
            "role": "ClientUser",
            "sessionId": session_id,
            "jti": tokens::url_safe_token(),
            "nbf": iat,
            "exp": iat.saturating_add(access_life),
            "iat": iat,
        }),
        false,
    );
    let refresh_token = jwt::sign(
        &json!({
            "userId": grant.subject,
            "clientId": grant.client_id,
            "consentId": grant.consent_id,
            "sessionId": session_id,
            "role": "RefreshToken",
            "jti": tokens::url_safe_token(),
            "nbf": iat,
            "exp": iat.saturating_add(refresh_life),
            "iat": iat,
        }),
        false,
    );
    let response = TokenResponse {
        access_token: access_token.clone(),
        expires_in: access_life,
        redirect_uri: grant.redirect_uri.clone(),
        refresh_token: refresh_token.clone(),
        token_type: "bearer",
    };
    let mut store = app.store();
    store.oauth.insert_access(
        access_token,
        AccessRecord {
            subject: Some(grant.subject.clone()),
            scopes: grant.scopes.clone(),
            expires_at: later(now, config.oauth_access_token_lifetime),
        },
    );
    store.oauth.insert_refresh(refresh_token, grant);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn content_type_matching_ignores_parameters() {
        let mut h = HeaderMap::new();
        assert!(!content_type_is(&h, "application/json"));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(content_type_is(&h, "application/json"));
        assert!(!content_type_is(&h, "application/x-www-form-urlencoded"));
    }

    #[test]
    fn string_fields_must_be_non_empty_strings() {
        let obj = json!({ "a": "x", "b": "", "c": 5, "d": null });
        let obj = obj.as_object().unwrap();
        assert_eq!(string_field(obj, "a").unwrap(), "x");
        for name in ["b", "c", "d", "e"] {
            assert_eq!(
                string_field(obj, name).unwrap_err().error,
                "invalid_request"
            );
        }
    }
}
