//! The client-credentials grant (RFC 6749 §4.4) as Aritma and Apiture run it: a backend trades
//! its client id and secret for a Bearer token; there is no user and no refresh token ("There is
//! no refresh token for client credential authentication. Instead, repeat this process before
//! the token expires.").
//!
//! Client authentication is done by the caller (`routes/oidc_token.rs`, `oauth/client_auth.rs`);
//! Aritma's `client_secret_post` and Apiture's `client_secret_basic` both arrive here. `scope` is
//! optional and space-delimited (Aritma: `banking.channel.psd2 banking.ais.read`); every scope must be in
//! [`crate::SandboxConfig::client_credentials_scopes`] (else `400 invalid_scope`), and an omitted
//! scope grants all of them (what IdentityServer, Aritma's server, does). The answer is Aritma's:
//! `{"access_token":"<JWT>","expires_in":3600,"token_type":"Bearer","scope":"…"}`, `expires_in`
//! from [`crate::SandboxConfig::client_credentials_token_lifetime`].

use std::time::Instant;

use serde::Serialize;
use serde_json::json;

use crate::clock::{later, unix_now};
use crate::crypto::{jwt, tokens};
use crate::http::oauth_error::OAuthError;
use crate::http::params::Params;
use crate::model::oauth_store::AccessRecord;
use crate::model::scopes::parse_scopes;
use crate::state::App;

/// Aritma's token response.
#[derive(Debug, Serialize)]
pub(crate) struct ClientCredentialsResponse {
    pub access_token: String,
    pub expires_in: u64,
    pub token_type: &'static str,
    pub scope: String,
}

/// Runs the grant for the (already authenticated) confidential client.
pub(crate) fn grant(
    app: &App,
    issuer: &str,
    form: &Params,
) -> Result<ClientCredentialsResponse, OAuthError> {
    let config = &app.config;
    let all = config.client_credentials_scopes.join(" ");
    let scopes = parse_scopes(form.get("scope"), &all, &config.client_credentials_scopes)
        .map_err(OAuthError::invalid_scope)?;
    let lifetime = config.client_credentials_token_lifetime;
    let iat = unix_now();
    let access_token = jwt::sign(
        &json!({
            "iss": issuer,
            "aud": format!("{issuer}/resources"),
            "client_id": config.client_id,
            "scope": scopes,
            "jti": tokens::url_safe_token(),
            "nbf": iat,
            "iat": iat,
            "exp": iat.saturating_add(lifetime.as_secs()),
        }),
        true,
    );
    let mut store = app.store();
    store.oauth.insert_access(
        access_token.clone(),
        AccessRecord {
            client_id: app.config.client_id.clone(),
            subject: None,
            scopes: scopes.clone(),
            expires_at: later(Instant::now(), lifetime),
        },
    );
    store.oauth.counters.client_credentials_grants += 1;
    Ok(ClientCredentialsResponse {
        access_token,
        expires_in: lifetime.as_secs(),
        token_type: "Bearer",
        scope: scopes.join(" "),
    })
}
