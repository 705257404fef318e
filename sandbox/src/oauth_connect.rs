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
//! Validation order (see `consent.rs` for which errors redirect): `client_id` must be the
//! configured client and `redirect_uri` one of [`crate::SandboxConfig::redirect_uris`] (`*` path
//! wildcards, loopback any-port) — otherwise an error page and no redirect; then
//! `response_type` must be `code` (`unsupported_response_type`), `scope` (default `accounts
//! offline_access`) must use [`crate::SandboxConfig::connect_scopes`] (`invalid_scope`), and no
//! parameter may repeat or exceed 4096 bytes (`invalid_request`). `state` is optional and echoed
//! back verbatim. `accountsGroupName`/`accountsGroupId` are optional, shown on the page and
//! otherwise ignored (the provider bills for them; the sandbox does not).
//!
//! The trailing-slash spelling `/v1/oauth/connect/` (the seed's prose) is served too.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::{App, guarded};
use crate::consent::{self, VettedClient};
use crate::oauth_store::{AuthRequest, Flow};
use crate::params::Params;
use crate::{Endpoint, percent};

/// The connect-flow routes.
pub(crate) fn routes(app: &App) -> Router<App> {
    Router::new()
        .route(
            "/v1/oauth/connect",
            guarded(app, Endpoint::OAuthConnect, get(connect)),
        )
        .route(
            "/v1/oauth/connect/",
            guarded(app, Endpoint::OAuthConnect, get(connect)),
        )
        .route(
            "/v1/oauth/connect/consent",
            guarded(app, Endpoint::OAuthConsent, get(consent_page)),
        )
        .route(
            "/v1/oauth/connect/decision",
            guarded(app, Endpoint::OAuthDecision, post(decision)),
        )
}

/// The scope used when the request has none, as the provider documents.
pub(crate) const DEFAULT_SCOPE: &str = "accounts offline_access";

async fn connect(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::from_query(query.as_deref());
    let brand = consent::brand(&app, Flow::Connect);
    let VettedClient {
        client_id,
        redirect_uri,
        redirect_url,
    } = match consent::vet_client(&params, &app.config.client_id, &app.config.redirect_uris) {
        Ok(v) => v,
        Err(refusal) => return refusal.page(&headers, brand),
    };
    // From here on, errors go back to the app. `state` is echoed unless it is the oversized one.
    let state = params
        .get("state")
        .filter(|s| s.len() <= crate::params::MAX_VALUE_LEN);
    let fail = |error: &str, description: &str| {
        consent::error_redirect(brand, &redirect_url, error, description, state)
    };
    if let Some(refusal) = consent::check_code_request(&params, &fail) {
        return refusal;
    }
    let scopes = match consent::parse_scopes(
        params.get("scope"),
        DEFAULT_SCOPE,
        &app.config.connect_scopes,
    ) {
        Ok(s) => s,
        Err(description) => return fail("invalid_scope", &description),
    };
    let request = AuthRequest {
        flow: Flow::Connect,
        client_id,
        redirect_uri,
        scopes,
        state: state.map(str::to_owned),
        nonce: None,
        code_challenge: None,
        accounts_group_name: params.get("accountsGroupName").map(str::to_owned),
        accounts_group_id: params.get("accountsGroupId").map(str::to_owned),
    };
    let id = app.store().oauth.create_request(request, Instant::now());
    let location = format!(
        "{}/v1/oauth/connect/consent?request={}",
        app.public_base(&headers),
        percent::encode(&id)
    );
    consent::redirect(brand, &location)
}

async fn consent_page(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::from_query(query.as_deref());
    let brand = consent::brand(&app, Flow::Connect);
    let Some(id) = params.get("request") else {
        return consent::request_error(&headers, brand, crate::oauth_store::RequestError::Unknown);
    };
    let request = app.store().oauth.request(id, Flow::Connect, Instant::now());
    match request {
        Ok(request) => consent::show(&app, &headers, Flow::Connect, id, &request),
        Err(e) => consent::request_error(&headers, brand, e),
    }
}

/// `POST /v1/oauth/connect/decision` with the form fields `request` and `decision`.
async fn decision(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    consent::decide_form(&app, &headers, Flow::Connect, &body)
}
