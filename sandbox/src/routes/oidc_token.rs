//! The form-encoded token endpoint: `POST /oidc/token` (the discovered `token_endpoint`,
//! Apiture's shape) and its alias `POST /connect/token` (Aritma's path). One endpoint, one
//! [`Endpoint::OidcToken`], three grants:
//!
//! | grant_type | client | authentication | see |
//! |---|---|---|---|
//! | `client_credentials` | confidential | `client_secret_post` or `client_secret_basic` | `oauth/client_credentials.rs` |
//! | `authorization_code` | public | `none` (`client_id` only) + PKCE `code_verifier` | here |
//! | `refresh_token` | public | `none` | here |
//!
//! Checks, in order: `Content-Type: application/x-www-form-urlencoded` (else `400
//! invalid_request`, as IdentityServer answers); no repeated parameter (`invalid_request`);
//! client authentication (`401 invalid_client`, `oauth/client_auth.rs`); the grant. The client may
//! only use its own grants (`unauthorized_client`). Every request that gets this far is recorded
//! with its client-authentication method ([`crate::Sandbox::token_requests`]).
//!
//! Authorization code: `code`, `redirect_uri` (byte-equal to the authorize request's),
//! `client_id` and `code_verifier` are required. A malformed verifier (not 43–128 unreserved
//! characters) is `invalid_request`; a missing or mismatching one is `invalid_grant`, and does
//! not consume the code (`model/oauth_store.rs`). The answer: `access_token`, `token_type:
//! "Bearer"`, `expires_in` ([`crate::SandboxConfig::oauth_access_token_lifetime`]),
//! `refresh_token` (not when the authorize request's `offline_access` was ignored for want of
//! `prompt=consent`, OIDC Core §11: `routes/oidc.rs`), `id_token` (when `openid` was granted: an HS256 JWT with `iss`, `sub`, `aud`,
//! `exp`, `iat`, `auth_time` and the authorize request's `nonce`; `crypto/jwt.rs` documents the
//! key) and `scope`.
//!
//! Refresh: rotates like Aiia's; an optional `scope` may narrow (never widen) the new access
//! token's scope (RFC 6749 §6). No `id_token` on refresh (OIDC Core §12.2 makes it optional).

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::post;
use serde::Serialize;
use serde_json::json;

use crate::clock::{later, unix_now, unix_secs};
use crate::crypto::{jwt, pkce, tokens};
use crate::http::authorization;
use crate::http::oauth_error::OAuthError;
use crate::http::params::Params;
use crate::http::respond::content_type_is;
use crate::model::endpoint::Endpoint;
use crate::model::oauth_store::{Flow, InvalidGrant, IssuedCode, RefreshGrant};
use crate::model::scopes::{self, parse_scopes};
use crate::oauth::client_auth::{self, ClientKind};
use crate::oauth::client_credentials::{self, ClientCredentialsResponse};
use crate::oauth::token::{self, Attempt, add_profile_claims};
use crate::routes::Routes;
use crate::state::App;

/// The token routes: `/oidc/token` and Aritma's `/connect/token`.
pub(crate) fn routes(app: &App) -> Router<App> {
    Routes::new(app)
        .guarded("/oidc/token", Endpoint::OidcToken, post(token))
        .guarded("/connect/token", Endpoint::OidcToken, post(token))
        .into_router()
}

/// The authorization-code and refresh answer.
#[derive(Debug, Serialize)]
struct UserTokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    scope: String,
}

/// The answer of either grant family, serialized as the inner response.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Answer {
    ClientCredentials(ClientCredentialsResponse),
    User(UserTokenResponse),
}

async fn token(State(app): State<App>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let form = Params::parse(&body);
    let header = authorization::parse(&headers);
    let auth = client_auth::authenticate(&app.config, &header, &form);
    let result = process(&app, &headers, &form, &auth.result);
    let attempt = Attempt {
        endpoint: Endpoint::OidcToken,
        path: uri.path().to_owned(),
        grant_type: form.get("grant_type").map(str::to_owned),
        client_id: auth.client_id,
        auth_method: auth.method,
        authenticated: auth.result.is_ok(),
    };
    token::answer(&app, attempt, result)
}

fn process(
    app: &App,
    headers: &HeaderMap,
    form: &Params,
    client: &Result<ClientKind, OAuthError>,
) -> Result<Answer, OAuthError> {
    if !content_type_is(headers, "application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    if let Some(problem) = form.problem() {
        return Err(OAuthError::invalid_request(problem));
    }
    let kind = client.clone()?;
    let issuer = app.issuer(headers);
    let Some(grant_type) = form.get("grant_type") else {
        return Err(OAuthError::invalid_request("grant_type is required"));
    };
    match (grant_type, kind) {
        ("client_credentials", ClientKind::Confidential) => {
            client_credentials::grant(app, &issuer, form).map(Answer::ClientCredentials)
        }
        ("authorization_code", ClientKind::Public) => {
            authorization_code(app, &issuer, form).map(Answer::User)
        }
        ("refresh_token", ClientKind::Public) => refresh(app, &issuer, form).map(Answer::User),
        ("client_credentials" | "authorization_code" | "refresh_token", _) => {
            Err(OAuthError::unauthorized_client(format!(
                "This client may not use the grant_type '{grant_type}' here."
            )))
        }
        (other, _) => Err(OAuthError::unsupported_grant_type(other)),
    }
}

fn required<'a>(form: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    form.get(name)
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
}

fn authorization_code(
    app: &App,
    issuer: &str,
    form: &Params,
) -> Result<UserTokenResponse, OAuthError> {
    let config = &app.config;
    let code = required(form, "code")?;
    let redirect_uri = required(form, "redirect_uri")?;
    let verifier = form.get("code_verifier");
    if let Some(v) = verifier {
        if !pkce::verifier_is_well_formed(v) {
            return Err(OAuthError::invalid_request(
                "code_verifier must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~]",
            ));
        }
    }
    let now = Instant::now();
    let issued =
        app.store()
            .oauth
            .redeem_code(code, Flow::Oidc, now, config.code_lifetime, |issued| {
                issued.check_client(&config.public_client_id, redirect_uri)?;
                let Some(verifier) = verifier else {
                    return Err(InvalidGrant("code_verifier is required (PKCE)."));
                };
                let challenge = issued.request.code_challenge.as_deref().unwrap_or_default();
                if !pkce::verify(verifier, challenge) {
                    return Err(InvalidGrant(
                        "code_verifier does not match the code_challenge (S256).",
                    ));
                }
                Ok(())
            })?;
    let id_token =
        scopes::has(&issued.request.scopes, "openid").then(|| id_token(app, issuer, &issued));
    let refreshable = !issued.request.offline_ignored;
    let grant = RefreshGrant::for_code(issued, later(now, config.oauth_refresh_token_lifetime));
    let scopes = grant.scopes.clone();
    Ok(issue(
        app,
        issuer,
        grant,
        scopes,
        id_token,
        refreshable,
        now,
    ))
}

/// The `id_token` for an approved authorization (see the module docs for its claims).
fn id_token(app: &App, issuer: &str, issued: &IssuedCode) -> String {
    let iat = unix_now();
    let auth_time = unix_secs(issued.approved_at);
    let mut claims = json!({
        "iss": issuer,
        "sub": issued.subject,
        "aud": issued.request.client_id,
        "exp": iat.saturating_add(app.config.oauth_access_token_lifetime.as_secs()),
        "iat": iat,
        "auth_time": auth_time,
    });
    if let Some(nonce) = &issued.request.nonce {
        claims["nonce"] = json!(nonce);
    }
    add_profile_claims(&mut claims, &issued.request.scopes);
    jwt::sign(&claims, true)
}

fn refresh(app: &App, issuer: &str, form: &Params) -> Result<UserTokenResponse, OAuthError> {
    let config = &app.config;
    let token = required(form, "refresh_token")?;
    let now = Instant::now();
    // Check a narrowing scope before rotating, so a bad scope does not burn the token.
    let requested = match form.get("scope") {
        Some(scope) => Some(
            parse_scopes(Some(scope), "", &config.oidc_scopes)
                .map_err(OAuthError::invalid_scope)?,
        ),
        None => None,
    };
    let mut store = app.store();
    if let Some(requested) = &requested {
        if let Some(grant) = store.oauth.peek_refresh(token) {
            if let Some(extra) = requested.iter().find(|s| !grant.scopes.contains(s)) {
                return Err(OAuthError::invalid_scope(format!(
                    "The scope '{extra}' was not granted originally."
                )));
            }
        }
    }
    let old = store
        .oauth
        .take_refresh(token, Flow::Oidc, &config.public_client_id, now)?;
    drop(store);
    let scopes = requested.unwrap_or_else(|| old.scopes.clone());
    let grant = RefreshGrant {
        expires_at: later(now, config.oauth_refresh_token_lifetime),
        ..old
    };
    Ok(issue(app, issuer, grant, scopes, None, true, now))
}

/// Issues an access token with `scopes` and, when `refreshable`, a new refresh token for
/// `grant`.
fn issue(
    app: &App,
    issuer: &str,
    grant: RefreshGrant,
    scopes: Vec<String>,
    id_token: Option<String>,
    refreshable: bool,
    now: Instant,
) -> UserTokenResponse {
    let lifetime = app.config.oauth_access_token_lifetime;
    let iat = unix_now();
    let access_token = jwt::sign(
        &json!({
            "iss": issuer,
            "sub": grant.subject,
            "aud": format!("{issuer}/resources"),
            "client_id": grant.client_id,
            "scope": scopes.join(" "),
            "jti": tokens::url_safe_token(),
            "iat": iat,
            "exp": iat.saturating_add(lifetime.as_secs()),
        }),
        true,
    );
    let refresh_token = refreshable.then(tokens::url_safe_token);
    let response = UserTokenResponse {
        access_token: access_token.clone(),
        token_type: "Bearer",
        expires_in: lifetime.as_secs(),
        refresh_token: refresh_token.clone(),
        id_token,
        scope: scopes.join(" "),
    };
    app.store().oauth.insert_user_tokens(
        access_token,
        scopes,
        later(now, lifetime),
        refresh_token,
        grant,
    );
    response
}
