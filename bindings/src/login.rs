//! The client and the supervised-login flow as UniFFI objects.
//!
//! Each flow is an object with the same shape, so the flows still to come (connect, client
//! credentials, PKCE) are added the same way: `start`, `state`, `handleRedirect`,
//! `decideNavigation`, `cancel`, an async `awaitTokens`, `addObserver`. Every method forwards
//! to the core's handle of the flow; the synchronous ones are safe to call from any thread,
//! including a WebView's navigation callback, which cannot wait.

use std::sync::Arc;

use crate::error::ObAuthError;
use crate::observer::{self, StateObserver};
use crate::runtime;
use crate::storage::{HostStorage, SecureStorage};
use crate::types::{
    ClientConfig, LoginState, Navigation, RedirectOutcome, SupervisedLoginParams, SupervisedTokens,
};

/// A provider client: validated configuration and one HTTP connection pool. Create one per
/// provider configuration and keep it for the life of the app.
#[derive(uniffi::Object)]
pub struct ObAuthClient {
    inner: obauth::Client,
}

#[uniffi::export]
impl ObAuthClient {
    /// Validates `config`; fails with `ObAuthError.InvalidInput` naming the field at fault
    /// (e.g. a plain-http API URL to a non-loopback host). Nothing is sent.
    #[uniffi::constructor]
    pub fn new(config: ClientConfig) -> Result<Arc<Self>, ObAuthError> {
        let inner = obauth::Client::with_runtime(config.into(), runtime::handle())?;
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
}

/// A supervised login: initialize → the bank's page in the WebView → the code arrives by the
/// redirect or by the status long-poll → exactly one exchange.
#[derive(uniffi::Object)]
pub struct SupervisedLogin {
    inner: obauth::SupervisedLogin,
}

#[uniffi::export]
impl SupervisedLogin {
    /// Sends `initialize`, then polls the status and waits for the redirect. Calling it again
    /// does nothing.
    pub fn start(&self) {
        self.inner.start();
    }

    /// The current state.
    pub fn state(&self) -> LoginState {
        self.inner.state().into()
    }

    /// Hands over a URL the app met (WebView navigation, Universal Link, App Link). Says
    /// whether it was this login's redirect and what happened.
    pub fn handle_redirect(&self, url: String) -> RedirectOutcome {
        self.inner.handle_redirect(&url).into()
    }

    /// The WebView navigation policy for `url`: allow, intercept (this login's redirect, which
    /// is then handled), open outside the app, or block. Call it from
    /// `WKNavigationDelegate.decidePolicyFor` / `WebViewClient.shouldOverrideUrlLoading`.
    pub fn decide_navigation(&self, url: String) -> Navigation {
        self.inner.decide_navigation(&url).into()
    }

    /// Continues a login restored with `restoreSupervisedLogin`: re-arms its deadline and picks
    /// up what was in progress (polling, an exchange).
    pub fn resume(&self) {
        self.inner.resume();
    }

    /// The login as a versioned snapshot, for `restoreSupervisedLogin`. **Contains secrets**
    /// (a code in flight, tokens once authenticated): secure storage only.
    pub fn snapshot(&self) -> String {
        self.inner.snapshot()
    }

    /// Saves the snapshot to `storage` under `key` now and after every state change, so the
    /// login survives the app being killed. A failure of the first save is returned
    /// (`ObAuthError.RetryLater`, code `storage`); later failures are logged and the login goes
    /// on.
    pub fn persist_to(
        &self,
        storage: Arc<dyn SecureStorage>,
        key: String,
    ) -> Result<(), ObAuthError> {
        Ok(self.inner.persist_to(Arc::new(HostStorage(storage)), key)?)
    }

    /// Cancels the login: in-flight requests are abandoned and no exchange happens afterwards.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// The redirect URL this login waits for.
    pub fn redirect_url(&self) -> String {
        self.inner.redirect_url().to_string()
    }

    /// Waits for the end of the login: the tokens, or the error (cancelled, failed at the bank,
    /// timed out…). Cancelling the awaiting coroutine / task does not cancel the login; call
    /// `cancel()` for that.
    pub async fn await_tokens(&self) -> Result<SupervisedTokens, ObAuthError> {
        let login = self.inner.clone();
        runtime::spawn(async move { login.wait().await })
            .await
            .ok_or_else(|| ObAuthError::internal("the login task ended unexpectedly"))?
            .map(SupervisedTokens::from)
            .map_err(ObAuthError::from)
    }

    /// Delivers every state from now on, in order, starting with the current one, to
    /// `observer`, on a background thread, until the terminal state. An observer that throws
    /// is logged and keeps receiving states; it never affects the login.
    pub fn add_observer(&self, observer: Arc<dyn StateObserver>) {
        observer::forward(self.inner.subscribe(), observer);
    }
}
