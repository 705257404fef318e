//! OpenID Connect for the public (PKCE) client and for discovery-driven client credentials:
//! `GET /oidc/.well-known/openid-configuration`, `GET /oidc/jwks`, `GET /oidc/authorize` (the
//! hosted sign-in page), `POST /oidc/authorize/decision` and `GET /oidc/userinfo`. The token
//! endpoint is in `oidc_token.rs`.
//!
//! **Issuer.** `<base>/oidc`, where `<base>` follows the request's `Host` (`App::public_base`),
//! like every link the sandbox hands out: OIDC Discovery §4.3 requires the issuer to be the URL
//! the document was fetched from, minus `/.well-known/openid-configuration`. The `iss` of tokens
//! follows the `Host` of the token request, so a client that fetched discovery and the token from
//! the same base sees one issuer. Apiture documents its authority as `https://…/oidc/` with a
//! slash; the sandbox's issuer has none (the brief's shape), so a client must not compare the two
//! as strings.
//!
//! **Discovery is counted** ([`crate::Stats::discovery_requests`]) so tests can check a client
//! caches it; the response says `Cache-Control: public, max-age=3600`.
//!
//! **Authorize** follows RFC 6749 §4.1 with PKCE (RFC 7636, `pkce.rs`): only the configured
//! public client and its registered redirect URIs are served (anything else: an error page, no
//! redirect); then `response_type=code`, `scope` from [`crate::SandboxConfig::oidc_scopes`]
//! (default `openid`), and an S256 `code_challenge` are required, or the user is sent back with
//! `error=…`. `state` and `nonce` are optional; `state` is echoed, `nonce` lands in the
//! `id_token`. Approve → `redirect_uri?code=…&state=…` (no `consentId`: that is Aiia's).

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use crate::app::{App, guarded};
use crate::consent::{self, VettedClient};
use crate::enterprise::bearer;
use crate::oauth_store::{AuthRequest, Flow};
use crate::params::{MAX_VALUE_LEN, Params};
use crate::{Endpoint, jwt, pkce, respond};

/// The scope used when the authorize request has none.
pub(crate) const DEFAULT_SCOPE: &str = "openid";

/// The OIDC routes (all but the token endpoint).
pub(crate) fn routes(app: &App) -> Router<App> {
    Router::new()
        .route(
            "/oidc/.well-known/openid-configuration",
            guarded(app, Endpoint::Discovery, get(discovery)),
        )
        .route("/oidc/jwks", guarded(app, Endpoint::Jwks, get(jwks)))
        .route(
            "/oidc/authorize",
            guarded(app, Endpoint::OidcAuthorize, get(authorize)),
        )
        .route(
            "/oidc/authorize/decision",
            guarded(app, Endpoint::OidcDecision, post(decision)),
        )
        .route(
            "/oidc/userinfo",
            guarded(app, Endpoint::Userinfo, get(userinfo).post(userinfo)),
        )
}

/// The issuer as seen by a request with these headers (see the module docs).
pub(crate) fn issuer(app: &App, headers: &HeaderMap) -> String {
    format!("{}/oidc", app.public_base(headers))
}

/// The discovery document, in the order the OIDC Discovery spec lists its fields.
#[derive(Serialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks_uri: String,
    scopes_supported: Vec<String>,
    response_types_supported: [&'static str; 1],
    response_modes_supported: [&'static str; 1],
    grant_types_supported: [&'static str; 3],
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: [&'static str; 1],
    token_endpoint_auth_methods_supported: [&'static str; 3],
    claims_supported: [&'static str; 9],
    code_challenge_methods_supported: [&'static str; 1],
}

async fn discovery(State(app): State<App>, headers: HeaderMap) -> Response {
    let issuer = issuer(&app, &headers);
    let mut scopes: Vec<String> = Vec::new();
    for s in app
        .config
        .oidc_scopes
        .iter()
        .chain(&app.config.client_credentials_scopes)
    {
        if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    let doc = Discovery {
        authorization_endpoint: format!("{issuer}/authorize"),
        token_endpoint: format!("{issuer}/token"),
        userinfo_endpoint: format!("{issuer}/userinfo"),
        jwks_uri: format!("{issuer}/jwks"),
        issuer,
        scopes_supported: scopes,
        response_types_supported: ["code"],
        response_modes_supported: ["query"],
        grant_types_supported: ["client_credentials", "authorization_code", "refresh_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["HS256"],
        token_endpoint_auth_methods_supported: [
            "client_secret_post",
            "client_secret_basic",
            "none",
        ],
        claims_supported: [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "name",
            "preferred_username",
        ],
        code_challenge_methods_supported: ["S256"],
    };
    let mut response = respond::json(StatusCode::OK, &doc);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

async fn jwks() -> Response {
    respond::json(StatusCode::OK, &jwt::jwks())
}

async fn authorize(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::from_query(query.as_deref());
    let brand = consent::brand(&app, Flow::Oidc);
    let VettedClient {
        client_id,
        redirect_uri,
        redirect_url,
    } = match consent::vet_client(
        &params,
        &app.config.public_client_id,
        &app.config.public_client_redirect_uris,
    ) {
        Ok(v) => v,
        Err(refusal) => return refusal.page(&headers, brand),
    };
    let state = params.get("state").filter(|s| s.len() <= MAX_VALUE_LEN);
    let fail = |error: &str, description: &str| {
        consent::error_redirect(brand, &redirect_url, error, description, state)
    };
    if let Some(refusal) = consent::check_code_request(&params, &fail) {
        return refusal;
    }
    let scopes =
        match consent::parse_scopes(params.get("scope"), DEFAULT_SCOPE, &app.config.oidc_scopes) {
            Ok(s) => s,
            Err(description) => return fail("invalid_scope", &description),
        };
    let challenge = match pkce::check_challenge(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        Ok(c) => c,
        Err(description) => return fail("invalid_request", &description),
    };
    let request = AuthRequest {
        flow: Flow::Oidc,
        client_id,
        redirect_uri,
        scopes,
        state: state.map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge: Some(challenge),
        accounts_group_name: None,
        accounts_group_id: None,
    };
    let id = app
        .store()
        .oauth
        .create_request(request.clone(), Instant::now());
    consent::show(&app, &headers, Flow::Oidc, &id, &request)
}

async fn decision(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    consent::decide_form(&app, &headers, Flow::Oidc, &body)
}

/// `401` with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3).
fn invalid_token() -> Response {
    let mut response = respond::json(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": "invalid_token", "error_description": "The access token is unknown or expired." }),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// `GET`/`POST /oidc/userinfo`: the claims about the user behind an access token that was
/// granted `openid` (a client-credentials token has no user: `403 insufficient_scope`).
async fn userinfo(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        return invalid_token();
    };
    let record = app.store().oauth.access(token, Instant::now()).cloned();
    let Some(record) = record else {
        return invalid_token();
    };
    let Some(sub) = record
        .subject
        .filter(|_| record.scopes.iter().any(|s| s == "openid"))
    else {
        let mut response = respond::json(
            StatusCode::FORBIDDEN,
            &json!({ "error": "insufficient_scope", "error_description": "The token was not granted the openid scope." }),
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"insufficient_scope\", scope=\"openid\""),
        );
        return response;
    };
    let mut claims = json!({ "sub": sub });
    if record.scopes.iter().any(|s| s == "profile") {
        claims["name"] = json!("Sandbox User");
        claims["preferred_username"] = json!("sandbox-user");
    }
    respond::json(StatusCode::OK, &claims).into_response()
}
