//! The Aiia Data connect flow's browser side: `GET /v1/oauth/connect`, the hosted consent page,
//! and the decision that redirects back to the app (`aiia-data-connect-flow.md`).
//!
//! `GET /v1/oauth/connect?client_id&redirect_uri&scope&response_type=code&state&accountsGroupName&accountsGroupId`
//! answers `302 Found` with the consent page in `Location` ("The response will be a `302 Found`
//! that you need to follow"), so a client must follow a redirect before it has anything to show.
//! The page's Approve sends the user to `redirect_uri?code=…&state=…&consentId=…`; Cancel to
//! `redirect_uri?error=access_denied&error_description=…&state=…`. The `code` holds `+`, `/` and
//! `=` ("`code` is not URL safe ... will need to be URL-decoded"), percent-encoded in the URL.
//!
//! Validation order (see `oauth/authorize.rs` for which errors redirect): `client_id` must be the
//! configured client and `redirect_uri` one of [`crate::SandboxConfig::redirect_uris`] (`*` path
//! wildcards, loopback any-port) — otherwise an error page and no redirect; then
//! `response_type` must be `code` (`unsupported_response_type`), `scope` (default `accounts
//! offline_access`) must use [`crate::SandboxConfig::connect_scopes`] (`invalid_scope`), and no
//! parameter may repeat or exceed 4096 bytes (`invalid_request`). `state` is optional and echoed
//! back verbatim. `accountsGroupName`/`accountsGroupId` are optional, shown on the page and
//! otherwise ignored (the provider bills for them; the sandbox does not).
//!
//! PKCE (RFC 7636) is optional here, as at a provider that accepts it from confidential
//! clients: a `code_challenge` (S256 only, else `invalid_request`) is stored with the request,
//! and then the token call must carry the matching `code_verifier` (`oauth_token.rs`).
//!
//! The trailing-slash spelling `/v1/oauth/connect/` (the seed's prose) is served too.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};

use crate::crypto::pkce;
use crate::http::params::Params;
use crate::http::respond;
use crate::model::endpoint::Endpoint;
use crate::model::oauth_store::{AuthRequest, Flow, RequestError};
use crate::oauth::authorize;
use crate::routes::Routes;
use crate::state::App;

/// The connect-flow routes.
pub(crate) fn routes(app: &App) -> Router<App> {
    Routes::new(app)
        .guarded("/v1/oauth/connect", Endpoint::OAuthConnect, get(connect))
        .guarded("/v1/oauth/connect/", Endpoint::OAuthConnect, get(connect))
        .guarded(
            "/v1/oauth/connect/consent",
            Endpoint::OAuthConsent,
            get(consent_page),
        )
        .guarded(
            "/v1/oauth/connect/decision",
            Endpoint::OAuthDecision,
            post(decision),
        )
        .into_router()
}

async fn connect(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let vetted = match authorize::vet(&app, &headers, Flow::Connect, query.as_deref()) {
        Ok(v) => v,
        Err(refusal) => return *refusal,
    };
    let challenge = match vetted.params.get("code_challenge") {
        None => None,
        Some(challenge) => {
            match pkce::check_challenge(Some(challenge), vetted.params.get("code_challenge_method"))
            {
                Ok(c) => Some(c),
                Err(description) => return vetted.fail("invalid_request", &description),
            }
        }
    };
    let request = AuthRequest {
        accounts_group_name: vetted.params.get("accountsGroupName").map(str::to_owned),
        accounts_group_id: vetted.params.get("accountsGroupId").map(str::to_owned),
        code_challenge: challenge,
        ..vetted.into_request()
    };
    let id = app.store().oauth.create_request(request, Instant::now());
    let location = app.link(&headers, "/v1/oauth/connect/consent", "request", &id);
    respond::found(authorize::brand(&app, Flow::Connect), &location)
}

async fn consent_page(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::from_query(query.as_deref());
    let brand = authorize::brand(&app, Flow::Connect);
    let Some(id) = params.get("request") else {
        return authorize::request_error(&headers, brand, RequestError::Unknown);
    };
    let request = app.store().oauth.request(id, Flow::Connect, Instant::now());
    match request {
        Ok(request) => authorize::show(&app, &headers, Flow::Connect, id, &request),
        Err(e) => authorize::request_error(&headers, brand, e),
    }
}

/// `POST /v1/oauth/connect/decision` with the form fields `request` and `decision`.
async fn decision(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    authorize::decide_form(&app, &headers, Flow::Connect, &body)
}
