//! Host-implemented state observers (UniFFI foreign traits), one per kind of flow state.
//!
//! The core hands out a [`StateStream`] per subscriber with every state, in order. A task on
//! the bindings' callback thread forwards it to the host's observer, so the host is never
//! called while the core holds a flow's lock or from the I/O thread, and a slow or throwing
//! observer cannot stall or break the flow.
//!
//! Foreign traits cannot be generic, so each state type has its own trait ([`StateObserver`]
//! for [`LoginState`], [`AuthorizationStateObserver`] for [`AuthorizationState`]); [`Observes`]
//! lets one generic [`forward`] serve both.
//! The Kotlin layer turns them into a `Flow<…State>`, the Swift layer into an
//! `AsyncStream<…State>`.

use std::sync::Arc;

use obauth::driver::StateStream;

use crate::error::ObAuthError;
use crate::runtime;
use crate::types::{AuthorizationState, LoginState};

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

/// A host observer of the core's state type `S`.
pub(crate) trait Observes<S>: Send + Sync {
    /// Converts and delivers one state.
    fn deliver(&self, state: S) -> Result<(), ObAuthError>;
    /// The state's short name, for the log line when the observer throws.
    fn name(state: &S) -> &'static str;
}

impl Observes<obauth::LoginState> for dyn StateObserver {
    fn deliver(&self, state: obauth::LoginState) -> Result<(), ObAuthError> {
        self.on_state(state.into())
    }

    fn name(state: &obauth::LoginState) -> &'static str {
        state.name()
    }
}

impl Observes<obauth::AuthorizationState> for dyn AuthorizationStateObserver {
    fn deliver(&self, state: obauth::AuthorizationState) -> Result<(), ObAuthError> {
        self.on_state(state.into())
    }

    fn name(state: &obauth::AuthorizationState) -> &'static str {
        state.name()
    }
}

/// Forwards `stream` to `observer` until the stream ends (after the terminal state).
pub(crate) fn forward<S, O>(mut stream: StateStream<S>, observer: Arc<O>)
where
    S: Send + 'static,
    O: Observes<S> + ?Sized + 'static,
{
    // Detached on purpose: it ends by itself with the flow (the stream closes after the
    // terminal state, or when the flow is dropped).
    drop(runtime::callbacks().spawn(async move {
        while let Some(state) = stream.next().await {
            let name = O::name(&state);
            if let Err(e) = observer.deliver(state) {
                log::warn!("state observer failed on {name}: {e}");
            }
        }
    }));
}
