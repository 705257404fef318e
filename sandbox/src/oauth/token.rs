//! What both token endpoints (Aiia's JSON `/v1/oauth/token` and the form-encoded `/oidc/token`)
//! do alike: log every request that reached them with its answer, count successful client
//! authentication, answer with the no-store headers, and describe the sandbox user in claims.
//!
//! The two endpoints differ in body format, client authentication and token shapes, which stay
//! in their route modules; the bookkeeping must not differ, so it is written once here.

use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use crate::http::oauth_error::{self, OAuthError};
use crate::model::endpoint::Endpoint;
use crate::model::scopes;
use crate::model::token_request::{ClientAuthMethod, TokenRequestRecord};
use crate::state::App;

/// What a token endpoint knows about a request before it answers.
#[derive(Debug)]
pub(crate) struct Attempt {
    pub endpoint: Endpoint,
    /// The path called (`/oidc/token` and `/connect/token` share an endpoint).
    pub path: String,
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub auth_method: ClientAuthMethod,
    /// Whether the client authenticated successfully (counted per method in the stats).
    pub authenticated: bool,
}

/// Logs `attempt` with the status and error of `result`, counts a successful client
/// authentication, and answers: `200` with `body` and the no-store headers, or the OAuth error.
pub(crate) fn answer(
    app: &App,
    attempt: Attempt,
    result: Result<impl Serialize, OAuthError>,
) -> Response {
    let (status, error) = match &result {
        Ok(_) => (200, None),
        Err(e) => (e.status.as_u16(), Some(e.error.to_owned())),
    };
    let mut store = app.store();
    if attempt.authenticated {
        let counters = &mut store.oauth.counters;
        match attempt.auth_method {
            ClientAuthMethod::ClientSecretBasic => counters.client_secret_basic += 1,
            ClientAuthMethod::ClientSecretPost => counters.client_secret_post += 1,
            _ => {}
        }
    }
    store.oauth.record(TokenRequestRecord {
        endpoint: attempt.endpoint,
        path: attempt.path,
        grant_type: attempt.grant_type,
        client_id: attempt.client_id,
        auth_method: attempt.auth_method,
        status,
        error,
    });
    drop(store);
    match result {
        Ok(body) => oauth_error::token_response(&body),
        Err(e) => e.into_response(),
    }
}

/// Adds the sandbox user's profile claims to `claims` when `profile` was granted (the
/// `id_token` and the userinfo answer describe the same user).
pub(crate) fn add_profile_claims(claims: &mut Value, granted: &[String]) {
    if scopes::has(granted, "profile") {
        claims["name"] = json!("Sandbox User");
        claims["preferred_username"] = json!("sandbox-user");
    }
}
