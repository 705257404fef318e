//! The client and the supervised-login flow as UniFFI objects.
//!
//! Every flow is an object with the same shape — `start`, `state`, `handleRedirect`,
//! `decideNavigation`, `resume`, `snapshot`, `persistTo`, `cancel`, `redirectUrl`, an async
//! `awaitTokens`, `addObserver` — written once by [`flow_object!`](crate::flow) over the core's
//! generic `FlowHandle`. The connect flow's methods on [`ObAuthClient`] live in
//! `authorization.rs`.

use std::sync::Arc;
use std::time::Duration;

use obauth::LoginState;

use crate::ObAuthError;
use crate::flow::flow_object;
use crate::observer::StateObserver;
use crate::relay::{AppTokenProvider, HostAppToken};
use crate::tokens::TokenManager;
use crate::types::{ClientConfig, SupervisedLoginParams, SupervisedTokens};

/// A provider client: validated configuration and one HTTP connection pool. Create one per
/// provider configuration and keep it for the life of the app.
#[derive(uniffi::Object)]
pub struct ObAuthClient {
    pub(crate) inner: obauth::Client,
}

#[uniffi::export]
impl ObAuthClient {
    /// Validates `config`; fails with `ObAuthError.InvalidInput` naming the field at fault
    /// (e.g. a plain-http API URL to a non-loopback host). Nothing is sent.
    #[uniffi::constructor]
    pub fn new(config: ClientConfig) -> Result<Arc<Self>, ObAuthError> {
        let inner = obauth::Client::with_runtime(config.into(), obauth::host::runtime())?;
        Ok(Arc::new(ObAuthClient { inner }))
    }

    /// Relay mode: a client of the app's relay (`obauth-relay`) at `relay_url`, which holds the
    /// partner credentials and derives the user from the app token. Every request carries
    /// `Authorization: Bearer <appTokenProvider.appToken(false)>`; after a refusal the
    /// provider is asked once for a fresh token (`appToken(true)`), and a second refusal fails
    /// with `ObAuthError.Reauthenticate` (`app_token_rejected`). Supervised logins take an
    /// empty `userHash`. Fails with `ObAuthError.InvalidInput` for a bad URL; nothing is sent.
    ///
    /// `web_hosts`, `external_schemes` and `snapshot_key` are `ClientConfig`'s.
    #[uniffi::constructor(default(
        request_timeout_ms = 30000,
        external_app_hosts = [],
        web_hosts = [],
        external_schemes = [],
        snapshot_key = None
    ))]
    pub fn relay(
        relay_url: String,
        app_token_provider: Arc<dyn AppTokenProvider>,
        request_timeout_ms: u64,
        external_app_hosts: Vec<String>,
        web_hosts: Vec<String>,
        external_schemes: Vec<String>,
        snapshot_key: Option<obauth::Secret>,
    ) -> Result<Arc<Self>, ObAuthError> {
        let config = obauth::ClientConfig {
            request_timeout: Duration::from_millis(request_timeout_ms),
            external_app_hosts,
            web_hosts,
            external_schemes,
            snapshot_key,
            ..obauth::ClientConfig::relay(relay_url, HostAppToken(app_token_provider))
        };
        let inner = obauth::Client::with_runtime(config, obauth::host::runtime())?;
        Ok(Arc::new(ObAuthClient { inner }))
    }

    /// Prepares a supervised login (Aiia Enterprise). The parameters are validated here,
    /// before any request; call `start()` to begin.
    pub fn supervised_login(
        &self,
        params: SupervisedLoginParams,
    ) -> Result<Arc<SupervisedLogin>, ObAuthError> {
        let inner = self.inner.supervised_login(params.into())?;
        Ok(Arc::new(SupervisedLogin { inner }))
    }

    /// Restores a supervised login from a snapshot taken with `snapshot()` (e.g. after the OS
    /// killed the app while the user was in the bank's app). Call `resume()` to continue
    /// polling; a restored login accepts its redirect even before that. Fails with
    /// `ObAuthError.InvalidInput` (`invalid_snapshot`, `unsupported_snapshot_version`).
    pub fn restore_supervised_login(
        &self,
        snapshot: String,
    ) -> Result<Arc<SupervisedLogin>, ObAuthError> {
        let inner = self.inner.restore_supervised_login(&snapshot)?;
        Ok(Arc::new(SupervisedLogin { inner }))
    }

    /// A token manager for a supervised login's session access token. It never renews (the
    /// session ends when it expires: `freshToken()` then fails with
    /// `ObAuthError.Reauthenticate`, code `session_expired`); feed it every
    /// `X-Access-Token-Expires` header with `applyExpiryHeader` so its expiry slides.
    #[uniffi::method(default(skew_ms = 60000))]
    pub fn session_tokens(
        &self,
        supervised_tokens: SupervisedTokens,
        skew_ms: u64,
    ) -> Arc<TokenManager> {
        TokenManager::wrap(
            self.inner
                .session_tokens(&supervised_tokens.into(), Duration::from_millis(skew_ms)),
        )
    }
}

/// A supervised login: initialize → the bank's page in the WebView → the code arrives by the
/// redirect or by the status long-poll → exactly one exchange.
#[derive(uniffi::Object)]
pub struct SupervisedLogin {
    pub(crate) inner: obauth::SupervisedLogin,
}

flow_object!(SupervisedLogin, LoginState, StateObserver, SupervisedTokens);
