//! OpenID Connect for the public (PKCE) client and for discovery-driven client credentials:
//! `GET /oidc/.well-known/openid-configuration`, `GET /oidc/jwks`, `GET /oidc/authorize` (the
//! hosted sign-in page), `POST /oidc/authorize/decision` and `GET /oidc/userinfo`. The token
//! endpoint is in `routes/oidc_token.rs`; revocation and logout in `routes/oidc_session.rs`.
//!
//! **Issuer.** `<base>/oidc`, where `<base>` follows the request's `Host` (`App::issuer`),
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
//! **Authorize** follows RFC 6749 §4.1 with PKCE (RFC 7636, `crypto/pkce.rs`): only the configured
//! public client and its registered redirect URIs are served (anything else: an error page, no
//! redirect); then `response_type=code`, `scope` from [`crate::SandboxConfig::oidc_scopes`]
//! (default `openid`), and an S256 `code_challenge` are required, or the user is sent back with
//! `error=…`. `state` and `nonce` are optional; `state` is echoed, `nonce` lands in the `id_token`.
//! `offline_access` is honoured only with `prompt=consent` (OIDC Core §11, as oidc-provider
//! does): without it the scope is dropped from the grant and the code brings no refresh token.
//! Approve → `redirect_uri?code=…&state=…` (no `consentId`: that is Aiia's).

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use crate::crypto::{jwt, pkce};
use crate::http::authorization::bearer;
use crate::http::respond;
use crate::model::endpoint::Endpoint;
use crate::model::oauth_store::{AuthRequest, Flow};
use crate::model::scopes;
use crate::oauth::authorize;
use crate::oauth::token::add_profile_claims;
use crate::routes::Routes;
use crate::state::App;

/// The OIDC routes (all but the token endpoint).
pub(crate) fn routes(app: &App) -> Router<App> {
    Routes::new(app)
        .guarded(
            "/oidc/.well-known/openid-configuration",
            Endpoint::Discovery,
            get(discovery),
        )
        .guarded("/oidc/jwks", Endpoint::Jwks, get(jwks))
        .guarded("/oidc/authorize", Endpoint::OidcAuthorize, get(authorize))
        .guarded(
            "/oidc/authorize/decision",
            Endpoint::OidcDecision,
            post(decision),
        )
        .guarded(
            "/oidc/userinfo",
            Endpoint::Userinfo,
            get(userinfo).post(userinfo),
        )
        .into_router()
}

/// The discovery document, in the order the OIDC Discovery spec lists its fields.
#[derive(Serialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks_uri: String,
    revocation_endpoint: String,
    revocation_endpoint_auth_methods_supported: [&'static str; 3],
    end_session_endpoint: String,
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
    let issuer = app.issuer(&headers);
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
        revocation_endpoint: format!("{issuer}/revoke"),
        revocation_endpoint_auth_methods_supported: [
            "client_secret_post",
            "client_secret_basic",
            "none",
        ],
        end_session_endpoint: format!("{issuer}/logout"),
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
    let vetted = match authorize::vet(&app, &headers, Flow::Oidc, query.as_deref()) {
        Ok(v) => v,
        Err(refusal) => return *refusal,
    };
    let challenge = match pkce::check_challenge(
        vetted.params.get("code_challenge"),
        vetted.params.get("code_challenge_method"),
    ) {
        Ok(c) => c,
        Err(description) => return vetted.fail("invalid_request", &description),
    };
    // OIDC Core §11: offline access only with `prompt=consent`; otherwise the scope is
    // ignored (dropped from the grant) and no refresh token is issued, as oidc-provider does.
    let consent_prompted = vetted
        .params
        .get("prompt")
        .is_some_and(|p| p.split_whitespace().any(|v| v == "consent"));
    let mut request = AuthRequest {
        nonce: vetted.params.get("nonce").map(str::to_owned),
        code_challenge: Some(challenge),
        ..vetted.into_request()
    };
    if scopes::has(&request.scopes, "offline_access") && !consent_prompted {
        request.scopes.retain(|s| s != "offline_access");
        request.offline_ignored = true;
    }
    let id = app
        .store()
        .oauth
        .create_request(request.clone(), Instant::now());
    authorize::show(&app, &headers, Flow::Oidc, &id, &request)
}

async fn decision(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    authorize::decide_form(&app, &headers, Flow::Oidc, &body)
}

/// A Bearer-token error (RFC 6750 §3): `{"error","error_description"}` with the matching
/// `WWW-Authenticate` challenge.
fn bearer_error(
    status: StatusCode,
    error: &str,
    description: &str,
    challenge: &'static str,
) -> Response {
    let mut response = respond::json(
        status,
        &json!({ "error": error, "error_description": description }),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

/// `401` with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3).
fn invalid_token() -> Response {
    bearer_error(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "The access token is unknown or expired.",
        "Bearer error=\"invalid_token\"",
    )
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
        .filter(|_| scopes::has(&record.scopes, "openid"))
    else {
        return bearer_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "The token was not granted the openid scope.",
            "Bearer error=\"insufficient_scope\", scope=\"openid\"",
        );
    };
    let mut claims = json!({ "sub": sub });
    add_profile_claims(&mut claims, &record.scopes);
    respond::json(StatusCode::OK, &claims)
}
