//! Authorization-code flows as UniFFI objects: Aiia Data connect (started from
//! [`ObAuthClient`]) and OAuth 2.0 / OpenID Connect with PKCE (started from
//! [`crate::OidcClient`]). Both are the core's `AuthorizationFlow`, one object here; its
//! methods are the shared flow methods ([`flow_object!`](crate::flow)).

use std::sync::Arc;
use std::time::Duration;

use obauth::{AuthorizationState, TokenSet};

use crate::ObAuthError;
use crate::flow::flow_object;
use crate::login::ObAuthClient;
use crate::observer::AuthorizationStateObserver;
use crate::tokens::TokenManager;
use crate::types::AuthorizationParams;

/// An authorization-code flow (Aiia Data connect, or PKCE): the provider's page in the
/// WebView → the redirect back with `code` and `state` (checked; a forged or stale one is
/// rejected and the flow keeps waiting) → exactly one exchange → a [`TokenSet`].
#[derive(uniffi::Object)]
pub struct AuthorizationFlow {
    pub(crate) inner: obauth::AuthorizationFlow,
}

impl AuthorizationFlow {
    pub(crate) fn wrap(inner: obauth::AuthorizationFlow) -> Arc<Self> {
        Arc::new(AuthorizationFlow { inner })
    }

    /// A flow the core prepared or restored, or its error as the host receives it.
    pub(crate) fn from_core(
        inner: Result<obauth::AuthorizationFlow, obauth::Error>,
    ) -> Result<Arc<Self>, ObAuthError> {
        Ok(Self::wrap(inner?))
    }
}

flow_object!(
    AuthorizationFlow,
    AuthorizationState,
    AuthorizationStateObserver,
    TokenSet
);

/// The connect flow (Aiia Data) and its tokens.
#[uniffi::export]
impl ObAuthClient {
    /// Prepares an Aiia Data connect flow with a fresh `state`. The parameters are validated
    /// here, before any request (`ObAuthError.InvalidInput` names the field); call `start()`:
    /// its `AwaitingUser` state carries the URL for the WebView.
    #[uniffi::method(default(accounts_group_name = None, accounts_group_id = None))]
    pub fn connect_flow(
        &self,
        params: AuthorizationParams,
        accounts_group_name: Option<String>,
        accounts_group_id: Option<String>,
    ) -> Result<Arc<AuthorizationFlow>, ObAuthError> {
        AuthorizationFlow::from_core(self.inner.connect_flow(
            params.into(),
            accounts_group_name,
            accounts_group_id,
        ))
    }

    /// Restores a connect flow from a snapshot taken with `snapshot()`. Call `resume()` to
    /// continue; a restored flow accepts its redirect even before that. Fails with
    /// `ObAuthError.InvalidInput` (`invalid_snapshot`, `unsupported_snapshot_version`), also
    /// for a snapshot of another client id.
    pub fn restore_connect_flow(
        &self,
        snapshot: String,
    ) -> Result<Arc<AuthorizationFlow>, ObAuthError> {
        AuthorizationFlow::from_core(self.inner.restore_connect_flow(&snapshot))
    }

    /// A token manager for connect-flow tokens: `freshToken()` refreshes them with the
    /// refresh token at `{api}/v1/oauth/token` when they are within `skewMs` of expiry
    /// (default 60 000).
    #[uniffi::method(default(skew_ms = 60000))]
    pub fn connect_tokens(&self, tokens: TokenSet, skew_ms: u64) -> Arc<TokenManager> {
        TokenManager::wrap(
            self.inner
                .connect_tokens(tokens, Duration::from_millis(skew_ms)),
        )
    }
}
