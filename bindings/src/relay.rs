//! Relay mode across the FFI: the host's app token provider (a UniFFI foreign trait) and the
//! `ObAuthClient.relay(…)` constructor. The partner credentials stay on the app's relay
//! (`obauth-relay`); the device holds only the app's own token.

use std::sync::Arc;

use obauth::{Error, Secret};

use crate::ObAuthError;

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
