//! Aiia's token endpoint: `POST /v1/oauth/token`, JSON body, client authenticated with
//! `Authorization: Basic base64(client_id:client_secret)` (RFC 7617) — the only way Aiia accepts.
//!
//! Grants (`aiia-data-connect-flow.md`):
//! - `{"grant_type":"authorization_code","code":…,"redirect_uri":…}` (+ `"code_verifier"` when
//!   the connect request carried a PKCE challenge): the code from the connect
//!   redirect, single-use, valid for [`crate::SandboxConfig::code_lifetime`] (one minute), and
//!   `redirect_uri` must equal, byte for byte, the one sent to `/v1/oauth/connect`;
//! - `{"grant_type":"refresh_token","refresh_token":…}`: rotates — the answer carries a new
//!   refresh token and the old one is dead.
//!
//! The answer is the seed's, field for field: `{"access_token","expires_in","redirect_uri",
//! "refresh_token","token_type":"bearer"}` (lower-case `bearer`, as Aiia writes it). There is no
//! `consentId` here: it comes only on the redirect, exactly as the provider documents. Tokens are
//! HS256 JWTs shaped like the seed's (`userId`, `clientId`, `role`, `sessionId`, `consentId` in
//! the refresh token; see `crypto/jwt.rs`).
//!
//! Errors: wrong or missing Basic credentials → `401 {"error":"invalid_client"}` with
//! `WWW-Authenticate`; a body that is not declared JSON → `415`; bad grants → `400` OAuth errors
//! (`invalid_request`, `invalid_grant`, `unsupported_grant_type`).

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::clock::{later, unix_now};
use crate::crypto::{jwt, pkce, tokens};
use crate::http::authorization::{self, AuthorizationHeader};
use crate::http::oauth_error::OAuthError;
use crate::http::respond::content_type_is;
use crate::model::endpoint::Endpoint;
use crate::model::oauth_store::{Flow, InvalidGrant, RefreshGrant};
use crate::model::token_request::ClientAuthMethod;
use crate::oauth::token::{self, Attempt};
use crate::routes::Routes;
use crate::state::App;

/// The Aiia token route.
pub(crate) fn routes(app: &App) -> Router<App> {
    Routes::new(app)
        .guarded("/v1/oauth/token", Endpoint::OAuthToken, post(token))
        .into_router()
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
    let auth = authorization::parse(&headers);
    let parsed: Option<Map<String, Value>> = match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    let body_str = |name: &str| {
        parsed
            .as_ref()
            .and_then(|m| m.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let body_has_secret = parsed
        .as_ref()
        .is_some_and(|m| m.contains_key("client_secret"));
    let (auth_method, client_id) = match &auth {
        AuthorizationHeader::Basic(c) => (ClientAuthMethod::ClientSecretBasic, Some(c.client_id())),
        AuthorizationHeader::Invalid => (ClientAuthMethod::ClientSecretBasic, None),
        AuthorizationHeader::Absent if body_has_secret => {
            (ClientAuthMethod::ClientSecretPost, body_str("client_id"))
        }
        AuthorizationHeader::Absent => (ClientAuthMethod::Missing, None),
    };
    let config = &app.config;
    let authenticated = matches!(&auth, AuthorizationHeader::Basic(c)
        if c.matches(&config.client_id, &config.client_secret));
    let attempt = Attempt {
        endpoint: Endpoint::OAuthToken,
        path: "/v1/oauth/token".to_owned(),
        grant_type: body_str("grant_type"),
        client_id,
        auth_method,
        authenticated,
    };
    let result = process(&app, &headers, authenticated, parsed);
    token::answer(&app, attempt, result)
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
            let verifier = obj.get("code_verifier").and_then(Value::as_str);
            let issued = app.store().oauth.redeem_code(
                code,
                Flow::Connect,
                now,
                config.code_lifetime,
                |issued| {
                    issued.check_client(&config.client_id, redirect_uri)?;
                    // PKCE when the connect request carried a challenge (RFC 7636 §4.6).
                    match (issued.request.code_challenge.as_deref(), verifier) {
                        (None, _) => Ok(()),
                        (Some(_), None) => Err(InvalidGrant("code_verifier is required (PKCE).")),
                        (Some(challenge), Some(v)) if pkce::verify(v, challenge) => Ok(()),
                        (Some(_), Some(_)) => Err(InvalidGrant(
                            "code_verifier does not match the code_challenge (S256).",
                        )),
                    }
                },
            )?;
            RefreshGrant::for_code(issued, later(now, config.oauth_refresh_token_lifetime))
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
    app.store().oauth.insert_user_tokens(
        access_token,
        grant.scopes.clone(),
        later(now, config.oauth_access_token_lifetime),
        Some(refresh_token),
        grant,
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

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
