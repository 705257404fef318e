//! The core's [`obauth::OidcClient`] as a UniFFI object: OAuth 2.0 / OpenID Connect providers
//! (authorization code + PKCE for public clients, client credentials for confidential ones),
//! with discovery documents cached for an hour.

use std::sync::Arc;
use std::time::Duration;

use obauth::oauth::discovery::ProviderMetadata;
use obauth::{ClientCredentialsConfig, NavigationPolicy, PkceConfig, TokenSet};

use crate::authorization::AuthorizationFlow;
use crate::tokens::TokenManager;
use crate::types::AuthorizationParams;
use crate::{ObAuthError, run};

/// A client for OAuth 2.0 / OpenID Connect providers: one HTTP connection pool and a
/// discovery cache. Create one and keep it for the life of the app.
#[derive(uniffi::Object)]
pub struct OidcClient {
    inner: obauth::OidcClient,
}

impl OidcClient {
    /// The core client (for the sign-out methods in `sign_out.rs`).
    pub(crate) fn inner(&self) -> &obauth::OidcClient {
        &self.inner
    }
}

#[uniffi::export]
impl OidcClient {
    /// A client whose flows open `external_app_hosts` (banks' Universal Link / App Link
    /// domains, subdomains included) outside the WebView. Nothing is sent.
    /// With `snapshot_key` (at least 32 characters, kept in the Keychain / Keystore) every
    /// PKCE snapshot is sealed and checked on restore.
    #[uniffi::constructor(default(external_app_hosts = [], snapshot_key = None))]
    pub fn new(
        external_app_hosts: Vec<String>,
        snapshot_key: Option<obauth::Secret>,
    ) -> Result<Arc<Self>, ObAuthError> {
        let mut inner = obauth::OidcClient::with_runtime(obauth::host::runtime())?
            .with_navigation(NavigationPolicy::with_external_hosts(external_app_hosts));
        if let Some(key) = snapshot_key {
            inner = inner.with_snapshot_key(key)?;
        }
        Ok(Arc::new(OidcClient { inner }))
    }

    /// The issuer's discovery document (`{issuer}/.well-known/openid-configuration`),
    /// fetched once and reused for an hour.
    pub async fn discover(&self, issuer: String) -> Result<ProviderMetadata, ObAuthError> {
        run(&self.inner, |c| async move { c.discover(&issuer).await }).await
    }

    /// Prepares an authorization-code + PKCE flow (S256 challenge, `state` and `nonce`) for a
    /// public client: validates the input, discovers the endpoints (cached), and returns the
    /// flow; call `start()`.
    pub async fn pkce_flow(
        &self,
        config: PkceConfig,
        params: AuthorizationParams,
    ) -> Result<Arc<AuthorizationFlow>, ObAuthError> {
        run(&self.inner, |c| async move {
            c.pkce_flow(&config, params.into()).await
        })
        .await
        .map(AuthorizationFlow::wrap)
    }

    /// Restores a PKCE flow from a snapshot taken with `snapshot()`, for the same `config`.
    /// Call `resume()` to continue; a restored flow accepts its redirect even before that.
    pub fn restore_pkce_flow(
        &self,
        config: PkceConfig,
        snapshot: String,
    ) -> Result<Arc<AuthorizationFlow>, ObAuthError> {
        AuthorizationFlow::from_core(self.inner.restore_pkce_flow(&config, &snapshot))
    }

    /// A token manager for PKCE tokens: `freshToken()` refreshes them with the refresh token,
    /// as a public client, when they are within `skewMs` of expiry (default 60 000). Discovers
    /// the token endpoint (cached).
    #[uniffi::method(default(skew_ms = 60000))]
    pub async fn pkce_tokens(
        &self,
        config: PkceConfig,
        tokens: TokenSet,
        skew_ms: u64,
    ) -> Result<Arc<TokenManager>, ObAuthError> {
        let skew = Duration::from_millis(skew_ms);
        run(&self.inner, |c| async move {
            c.pkce_tokens(&config, tokens, skew).await
        })
        .await
        .map(TokenManager::wrap)
    }

    /// A token manager for the client-credentials grant. Everything is validated first
    /// (`ObAuthError.InvalidInput` names the field); the token endpoint is discovered if only
    /// the issuer is given. The first token is requested by the first `freshToken()` and
    /// requested again within `skewMs` of expiry (default 60 000): there is no refresh token.
    #[uniffi::method(default(skew_ms = 60000))]
    pub async fn client_credentials(
        &self,
        config: ClientCredentialsConfig,
        skew_ms: u64,
    ) -> Result<Arc<TokenManager>, ObAuthError> {
        let skew = Duration::from_millis(skew_ms);
        run(&self.inner, |c| async move {
            c.client_credentials(config, skew).await
        })
        .await
        .map(TokenManager::wrap)
    }
}
