//! How to run a sandbox: [`SandboxConfig`], its defaults, and a `Debug` that never prints the
//! client secret.
//!
//! The configuration is read by every layer above the domain (the shared state holds it, the
//! routes read lifetimes, scopes and registered clients from it), so it sits on its own just
//! above the domain types it names (`UserScript`, `ConsentScript`).

use std::fmt;
use std::time::Duration;

use crate::model::user::{ConsentScript, UserScript};

/// How to run a sandbox. Start from [`SandboxConfig::default`] and override fields.
#[derive(Clone)]
pub struct SandboxConfig {
    /// TCP port on 127.0.0.1; `0` picks a free one.
    pub port: u16,
    /// The partner `X-Client-Id` the sandbox accepts.
    pub client_id: String,
    /// The partner `X-Client-Secret` the sandbox accepts.
    pub client_secret: String,
    /// How long an authorization code can be exchanged (the provider: one minute).
    pub code_lifetime: Duration,
    /// Session `accessToken` lifetime; every authenticated call slides it forward by this much.
    pub access_token_lifetime: Duration,
    /// `loginToken` lifetime, reported as `login.expires`.
    pub login_token_lifetime: Duration,
    /// The bank: `providerId` in responses and the name on the hosted page.
    pub provider_id: String,
    /// `login.supportsUnattended` in the tokens response.
    pub supports_unattended: bool,
    /// What the user of a session does unless [`crate::Sandbox::script_user`] says otherwise.
    pub default_script: UserScript,
    /// Upper bound for `pollTimeout`; larger values are clamped.
    pub max_poll_timeout: Duration,
    /// Print one line per request to stderr (method, path, status, ms; never secrets).
    pub log_requests: bool,

    // --- OAuth flows -------------------------------------------------------------------------
    // The confidential OAuth client is `client_id` / `client_secret` above: the same application
    // credentials the partner uses for supervised login also run the Aiia connect flow
    // (`/v1/oauth/token`, Basic) and client credentials (`/oidc/token`, `/connect/token`).
    /// Redirect URIs registered for the confidential client (the Aiia connect flow). An entry
    /// ending in `*` matches any path below it (never a wildcard in the host); an `http` entry on
    /// `127.0.0.1` or `[::1]` matches any port (RFC 8252 §7.3). See `model/redirect_uri.rs`.
    pub redirect_uris: Vec<String>,
    /// Scopes `/v1/oauth/connect` accepts; the default when `scope` is omitted is
    /// `accounts offline_access`, as the provider documents.
    pub connect_scopes: Vec<String>,
    /// Lifetime of the OAuth access tokens (Aiia connect and the PKCE client): `expires_in`.
    pub oauth_access_token_lifetime: Duration,
    /// Lifetime of OAuth refresh tokens (the Aiia seed's refresh token lives 14 days).
    pub oauth_refresh_token_lifetime: Duration,
    /// Scopes the client-credentials grant accepts; an omitted `scope` grants all of them.
    pub client_credentials_scopes: Vec<String>,
    /// Lifetime of client-credentials access tokens: `expires_in`.
    pub client_credentials_token_lifetime: Duration,
    /// The public (PKCE, no secret) client that `/oidc/authorize` serves.
    pub public_client_id: String,
    /// Redirect URIs registered for the public client (same matching rules as `redirect_uris`).
    pub public_client_redirect_uris: Vec<String>,
    /// Scopes `/oidc/authorize` accepts; `openid` yields an `id_token`. Omitted `scope` means
    /// `openid`.
    pub oidc_scopes: Vec<String>,
    /// What the user does on the hosted consent pages (Aiia consent and OIDC authorize) unless
    /// [`crate::Sandbox::script_consent`] says otherwise.
    pub consent_script: ConsentScript,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            client_id: "sandbox-client-id".to_owned(),
            client_secret: "sandbox-client-secret".to_owned(),
            code_lifetime: Duration::from_secs(60),
            access_token_lifetime: Duration::from_secs(15 * 60),
            login_token_lifetime: Duration::from_secs(90 * 24 * 60 * 60),
            provider_id: "DemoBank".to_owned(),
            supports_unattended: true,
            default_script: UserScript::WaitForPage,
            max_poll_timeout: Duration::from_secs(120),
            log_requests: false,
            redirect_uris: strings(&[
                "https://app.example.com/aiia/callback",
                "https://app.example.com/aiia-callback/*",
                "http://127.0.0.1/*",
            ]),
            connect_scopes: strings(&["accounts", "offline_access"]),
            oauth_access_token_lifetime: Duration::from_secs(3600),
            oauth_refresh_token_lifetime: Duration::from_secs(14 * 24 * 60 * 60),
            client_credentials_scopes: strings(&["banking.channel.psd2", "banking.ais.read"]),
            client_credentials_token_lifetime: Duration::from_secs(3600),
            public_client_id: "sandbox-public-client".to_owned(),
            public_client_redirect_uris: strings(&[
                "https://app.example.com/oidc/callback",
                "com.example.app:/oauth2redirect",
                "http://127.0.0.1/*",
            ]),
            oidc_scopes: strings(&["openid", "profile", "offline_access", "banking.ais.read"]),
            consent_script: ConsentScript::Page,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("code_lifetime", &self.code_lifetime)
            .field("access_token_lifetime", &self.access_token_lifetime)
            .field("login_token_lifetime", &self.login_token_lifetime)
            .field("provider_id", &self.provider_id)
            .field("supports_unattended", &self.supports_unattended)
            .field("default_script", &self.default_script)
            .field("max_poll_timeout", &self.max_poll_timeout)
            .field("log_requests", &self.log_requests)
            .field("redirect_uris", &self.redirect_uris)
            .field("connect_scopes", &self.connect_scopes)
            .field(
                "oauth_access_token_lifetime",
                &self.oauth_access_token_lifetime,
            )
            .field(
                "oauth_refresh_token_lifetime",
                &self.oauth_refresh_token_lifetime,
            )
            .field("client_credentials_scopes", &self.client_credentials_scopes)
            .field(
                "client_credentials_token_lifetime",
                &self.client_credentials_token_lifetime,
            )
            .field("public_client_id", &self.public_client_id)
            .field(
                "public_client_redirect_uris",
                &self.public_client_redirect_uris,
            )
            .field("oidc_scopes", &self.oidc_scopes)
            .field("consent_script", &self.consent_script)
            .finish()
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_redacts_the_secret() {
        let text = format!("{:?}", SandboxConfig::default());
        assert!(!text.contains("sandbox-client-secret"), "{text}");
        assert!(text.contains("sandbox-client-id"));
    }
}
