//! Host-implemented state observer (a UniFFI foreign trait).
//!
//! The core hands out a [`StateStream`] per subscriber with every state, in order. A task on
//! the bindings' callback thread forwards it to the host's observer, so the host is never
//! called while the core holds a flow's lock or from the I/O thread, and a slow or throwing
//! observer cannot stall or break the flow.
//! The Kotlin layer turns this into a `Flow<LoginState>`, the Swift layer into an
//! `AsyncStream<LoginState>`.

use std::sync::Arc;

use obauth::driver::StateStream;

use crate::error::ObAuthError;
use crate::runtime;
use crate::types::LoginState;

/// Receives a flow's states. Implemented by the host app.
#[uniffi::export(foreign)]
pub trait StateObserver: Send + Sync {
    /// A new state. Called in order, one at a time, on the `obauth-callbacks` thread (shared
    /// with other observers and the log sink: return quickly); the last call carries the
    /// terminal state. Throwing is allowed: the error is logged, the flow goes on and later
    /// states are still delivered.
    fn on_state(&self, state: LoginState) -> Result<(), ObAuthError>;
}

/// Forwards `stream` to `observer` until the stream ends (after the terminal state).
pub(crate) fn forward(
    mut stream: StateStream<obauth::LoginState>,
    observer: Arc<dyn StateObserver>,
) {
    // Detached on purpose: it ends by itself with the flow (the stream closes after the
    // terminal state, or when the flow is dropped).
    drop(runtime::callbacks().spawn(async move {
        while let Some(state) = stream.next().await {
            let name = state.name();
            if let Err(e) = observer.on_state(state.into()) {
                log::warn!("state observer failed on {name}: {e}");
            }
        }
    }));
}
