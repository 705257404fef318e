//! Relay mode across the FFI: the host's app token provider (a UniFFI foreign trait), the
//! `ObAuthClient.relay(…)` constructor and the relay connect flow (Aiia Data). The partner
//! credentials stay on the app's relay (`obauth-relay`); the device holds only the app's own
//! token.

use std::sync::Arc;

pub use obauth::ConsentPage;
use obauth::{Error, Secret};

use crate::ObAuthError;
use crate::authorization::AuthorizationFlow;
use crate::login::ObAuthClient;
use crate::types::AuthorizationParams;

/// The app's own token (a JWT from the integrator's sign-in), implemented by the host app.
///
/// `appToken(false)` before every request: return the current token (cache it). After the
/// relay refused it (`401 InvalidAppToken`), `appToken(true)` once: get a fresh one; if the
/// relay refuses that too, the flow fails with `ObAuthError.Reauthenticate`, code
/// `app_token_rejected`. Throw `ObAuthError.Reauthenticate` with that code when no fresh token
/// can be had; whatever else is thrown fails the request with its category. Called on a
/// background thread; it may block.
#[uniffi::export(foreign)]
pub trait AppTokenProvider: Send + Sync {
    /// The app token; a fresh one from the integrator's back end when `force_refresh`.
    fn app_token(&self, force_refresh: bool) -> Result<Secret, ObAuthError>;
}

/// The host's provider as the core's.
pub(crate) struct HostAppToken(pub(crate) Arc<dyn AppTokenProvider>);

impl obauth::AppTokenProvider for HostAppToken {
    fn app_token(&self, force_refresh: bool) -> Result<Secret, Error> {
        self.0
            .app_token(force_refresh)
            .map_err(ObAuthError::into_app_token_error)
    }
}

/// Relay mode, Aiia Data connect: where the user gives consent. The consent page is the
/// provider's own (a browser has no app token, so the relay serves API calls only); the code
/// exchange and the refreshes still go to the relay, which adds the partner's Basic
/// authentication.
#[uniffi::remote(Record)]
pub struct ConsentPage {
    /// The provider's API root serving `/v1/oauth/connect`, e.g.
    /// `https://api.nordicapigateway.com`. HTTPS unless loopback.
    pub api_url: String,
    /// The partner's (public) client id: it is in every consent URL.
    pub client_id: String,
}

/// The connect flow (Aiia Data) of a relay-mode client; its tokens: `connectTokens`.
#[uniffi::export]
impl ObAuthClient {
    /// Prepares an Aiia Data connect flow through the relay with a fresh `state`: the user
    /// consents on `consent`'s page, the code exchange goes to the relay. Validated here,
    /// before any request (`ObAuthError.InvalidInput` names the field); a client made with
    /// `ObAuthClient(...)` (not `relay(...)`) is refused. The relay refuses a `redirectUri` off
    /// its allowlist. Call `start()`: its `AwaitingUser` state carries the URL for the WebView.
    #[uniffi::method(default(accounts_group_name = None, accounts_group_id = None))]
    pub fn relay_connect_flow(
        &self,
        consent: ConsentPage,
        params: AuthorizationParams,
        accounts_group_name: Option<String>,
        accounts_group_id: Option<String>,
    ) -> Result<Arc<AuthorizationFlow>, ObAuthError> {
        AuthorizationFlow::from_core(self.inner.relay_connect_flow(
            &consent,
            params.into(),
            accounts_group_name,
            accounts_group_id,
        ))
    }

    /// Restores a relay connect flow from a snapshot taken with `snapshot()`, with the same
    /// `consent` page. Call `resume()` to continue. Fails with `ObAuthError.InvalidInput`
    /// (`invalid_snapshot`, `unsupported_snapshot_version`), also for another client id's.
    pub fn restore_relay_connect_flow(
        &self,
        consent: ConsentPage,
        snapshot: String,
    ) -> Result<Arc<AuthorizationFlow>, ObAuthError> {
        AuthorizationFlow::from_core(self.inner.restore_relay_connect_flow(&consent, &snapshot))
    }
}
