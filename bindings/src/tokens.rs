//! The core's [`obauth::TokenManager`] as a UniFFI object: fresh tokens with single-flight
//! renewal, for connect, PKCE, client-credentials and supervised-session tokens.
//!
//! Made by `ObAuthClient.connectTokens` / `sessionTokens` and `OidcClient.pkceTokens` /
//! `clientCredentials`. Concurrent `freshToken()` calls (from any threads, coroutines or
//! tasks) share one renewal: the provider sees one request and every caller gets the token it
//! stored.

use std::sync::Arc;

use obauth::{Timestamp, TokenSet};

use crate::storage::{HostStorage, SecureStorage};
use crate::{ObAuthError, run};

/// Hands out fresh access tokens, renewing them before they expire.
#[derive(uniffi::Object)]
pub struct TokenManager {
    inner: obauth::TokenManager,
}

impl TokenManager {
    pub(crate) fn wrap(inner: obauth::TokenManager) -> Arc<Self> {
        Arc::new(TokenManager { inner })
    }

    /// The core manager (for `OidcClient.signOut`).
    pub(crate) fn inner(&self) -> &obauth::TokenManager {
        &self.inner
    }
}

#[uniffi::export]
impl TokenManager {
    /// A token valid for at least the skew, renewed first if needed (with the refresh token,
    /// or by asking again for client credentials). Concurrent callers share one renewal.
    /// A refresh rejected with `invalid_grant` fails with `ObAuthError.Reauthenticate` (code
    /// `invalid_grant`), and so does every later call, until the app signs in again. A
    /// transient failure returns the current token if it has not actually expired yet.
    /// Cancelling the awaiting coroutine / task abandons the renewal it started.
    pub async fn fresh_token(&self) -> Result<TokenSet, ObAuthError> {
        run(&self.inner, |m| async move { m.fresh_token().await }).await
    }

    /// Renews now, whatever the expiry (e.g. after the API answered 401 to the current
    /// token). Errors as for `freshToken()`.
    pub async fn force_renewal(&self) -> Result<TokenSet, ObAuthError> {
        run(&self.inner, |m| async move { m.force_renewal().await }).await
    }

    /// The token held now, without renewing (it may have expired); `null`/`nil` before the
    /// first client-credentials token and after an `invalid_grant`.
    pub fn current(&self) -> Option<TokenSet> {
        self.inner.current()
    }

    /// Applies an `X-Access-Token-Expires` header value (ISO 8601) from any authenticated API
    /// response: the held token's expiry slides to it. Returns the new expiry; a malformed
    /// value is `ObAuthError.Fatal` (`malformed_response`) and changes nothing.
    pub fn apply_expiry_header(&self, value: String) -> Result<Timestamp, ObAuthError> {
        Ok(self.inner.apply_expiry_header(&value)?)
    }

    /// Saves the tokens to `storage` under `key` now (if there are any yet) and after every
    /// renewal, as JSON (`tokenSetFromJson` reads it back); removes them after an
    /// `invalid_grant`. A failure of the first save is returned (`ObAuthError.RetryLater`,
    /// code `storage`); later failures are logged. **The value contains the tokens**: secure
    /// storage only.
    pub fn persist_to(
        &self,
        storage: Arc<dyn SecureStorage>,
        key: String,
    ) -> Result<(), ObAuthError> {
        Ok(self.inner.persist_to(Arc::new(HostStorage(storage)), key)?)
    }

    /// How many renewal requests reached the provider (for metrics and tests).
    pub fn renewals(&self) -> u64 {
        self.inner.renewals()
    }
}

/// Reads a token set saved by `TokenManager.persistTo` (e.g. at the next launch, to build a
/// token manager again). Fails with `ObAuthError.InvalidInput` (`invalid_snapshot`) if the
/// value is not a stored token set.
#[uniffi::export]
pub fn token_set_from_json(json: String) -> Result<TokenSet, ObAuthError> {
    Ok(TokenSet::from_json(&json)?)
}

/// The JSON `TokenManager.persistTo` stores for `tokens` (secrets included: secure storage
/// only). A token set that cannot be written throws `InvalidInput` (`invalid_snapshot`), never
/// an empty string.
#[uniffi::export]
pub fn token_set_to_json(tokens: TokenSet) -> Result<String, ObAuthError> {
    Ok(tokens.to_json()?)
}
