//! Host-implemented state observers (UniFFI foreign traits), one per kind of flow state:
//! foreign traits cannot be generic. `obauth::host::forward` delivers the states on the
//! `obauth-callbacks` thread, so the host is never called while the core holds a flow's lock or
//! from the I/O thread. The Kotlin layer turns them into a `Flow<…State>`, the Swift layer into
//! an `AsyncStream<…State>`.

use obauth::{AuthorizationState, LoginState};

use crate::ObAuthError;

/// Receives a supervised login's states. Implemented by the host app.
#[uniffi::export(foreign)]
pub trait StateObserver: Send + Sync {
    /// A new state. Called in order, one at a time, on the `obauth-callbacks` thread (shared
    /// with other observers and the log sink: return quickly); the last call carries the
    /// terminal state. Throwing is allowed: the error is logged, the flow goes on and later
    /// states are still delivered.
    fn on_state(&self, state: LoginState) -> Result<(), ObAuthError>;
}

/// Receives an authorization flow's states (connect, PKCE). Implemented by the host app.
#[uniffi::export(foreign)]
pub trait AuthorizationStateObserver: Send + Sync {
    /// A new state. Called in order, one at a time, on the `obauth-callbacks` thread (shared
    /// with other observers and the log sink: return quickly); the last call carries the
    /// terminal state. Throwing is allowed: the error is logged, the flow goes on and later
    /// states are still delivered.
    fn on_state(&self, state: AuthorizationState) -> Result<(), ObAuthError>;
}
