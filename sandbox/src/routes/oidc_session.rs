//! Ending what a sign-in started: `POST /oidc/revoke` (token revocation, RFC 7009, the
//! discovered `revocation_endpoint`) and `GET /oidc/logout` (RP-initiated logout 1.0, the
//! `end_session_endpoint`).
//!
//! **Revocation** authenticates the client exactly like the token endpoint (public client:
//! `client_id` only; confidential: `client_secret_post` / `client_secret_basic`; `401
//! invalid_client` otherwise, `oauth/client_auth.rs`), requires a form body with `token`
//! (`400 invalid_request` without), and treats `token_type_hint` as a hint only (§2.1). A refresh
//! token is revoked with the access tokens of its grant (same client and user); an access
//! token alone. An unknown, expired or already revoked token is answered `200` like a revoked
//! one (§2.2); a token issued to another client is refused (`400 unauthorized_client`) and stays
//! valid (§2.1).
//!
//! **Logout** takes `id_token_hint` (an ID token this sandbox signed; its `aud` must be the
//! `client_id` when both are given), `client_id`, `post_logout_redirect_uri` (registered for
//! the public client: the same list as its redirect URIs) and `state`. Valid → `302` to
//! `post_logout_redirect_uri` with `state` echoed, or a "signed out" page without one; invalid →
//! `400` page (never a redirect to an unregistered URI).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use url::Url;

use crate::crypto::jwt;
use crate::http::authorization;
use crate::http::oauth_error::{OAuthError, no_store};
use crate::http::params::Params;
use crate::http::respond::{self, content_type_is};
use crate::model::endpoint::Endpoint;
use crate::model::oauth_store::Flow;
use crate::oauth::authorize;
use crate::oauth::client_auth::{self, ClientKind};
use crate::routes::Routes;
use crate::state::App;

/// The revocation and logout routes.
pub(crate) fn routes(app: &App) -> Router<App> {
    Routes::new(app)
        .guarded("/oidc/revoke", Endpoint::Revocation, post(revoke))
        .guarded("/oidc/logout", Endpoint::EndSession, get(logout))
        .into_router()
}

async fn revoke(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    match revocation(&app, &headers, &body) {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => e.into_response(),
    }
}

fn revocation(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    if !content_type_is(headers, "application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let form = Params::parse(body);
    if let Some(problem) = form.problem() {
        return Err(OAuthError::invalid_request(problem));
    }
    let auth = client_auth::authenticate(&app.config, &authorization::parse(headers), &form);
    let client_id = match auth.result? {
        ClientKind::Confidential => app.config.client_id.clone(),
        ClientKind::Public => app.config.public_client_id.clone(),
    };
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return Err(OAuthError::invalid_request("token is required"));
    };
    app.store()
        .oauth
        .revoke(token, &client_id)
        .map(|_| ())
        .map_err(|()| OAuthError::unauthorized_client("the token was not issued to this client"))
}

async fn logout(State(app): State<App>, RawQuery(query): RawQuery) -> Response {
    let params = Params::from_query(query.as_deref());
    let brand = authorize::brand(&app, Flow::Oidc).to_owned();
    let refuse = |why: &str| {
        respond::html(
            StatusCode::BAD_REQUEST,
            format!("<!doctype html><title>{brand}</title><p>Sign-out refused: {why}</p>"),
        )
    };
    if let Some(problem) = params.problem() {
        return refuse(&problem);
    }
    let client_id = params.get("client_id");
    if client_id.is_some_and(|c| c != app.config.public_client_id) {
        return refuse("unknown client_id");
    }
    if let Some(hint) = params.get("id_token_hint") {
        let Some(claims) = jwt::verify(hint) else {
            return refuse("id_token_hint is not an ID token of this provider");
        };
        let aud_ok = match &claims["aud"] {
            serde_json::Value::String(a) => *a == app.config.public_client_id,
            serde_json::Value::Array(list) => list
                .iter()
                .any(|a| a.as_str() == Some(&app.config.public_client_id)),
            _ => false,
        };
        if !aud_ok {
            return refuse("id_token_hint was not issued to this client");
        }
    } else if client_id.is_none() && params.get("post_logout_redirect_uri").is_some() {
        return refuse("post_logout_redirect_uri needs client_id or id_token_hint");
    }
    let Some(target) = params.get("post_logout_redirect_uri") else {
        return respond::html(
            StatusCode::OK,
            format!("<!doctype html><title>{brand}</title><p>You are signed out.</p>"),
        );
    };
    if !app
        .config
        .public_client_redirect_uris
        .iter()
        .any(|r| r == target)
    {
        return refuse("post_logout_redirect_uri is not registered");
    }
    let Ok(mut url) = Url::parse(target) else {
        return refuse("post_logout_redirect_uri is not a URL");
    };
    if let Some(state) = params.get("state") {
        url.query_pairs_mut().append_pair("state", state);
    }
    respond::found(&brand, url.as_str())
}
