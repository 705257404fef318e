//! The handle that lets a request close its own TCP connection without an answer.
//!
//! The `DropConnection` fault must close the connection without writing any response, and a
//! handler cannot reach its connection through axum. So the accept loop (`server.rs`) gives every
//! request a [`ConnectionKill`] as a request extension and waits on [`ConnectionKill::killed`]
//! next to the hyper connection; the guard (`middleware/guard.rs`) calls [`ConnectionKill::kill`].
//! It lives here, below both, so neither has to import the other.

use std::sync::Arc;

use tokio::sync::Notify;

/// A request extension that lets a handler close its own TCP connection without responding.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    /// Closes the connection carrying this request. The handler should then never complete.
    pub fn kill(&self) {
        // `notify_one` stores a permit if the connection task is not waiting at this instant.
        self.0.notify_one();
    }

    /// Resolves once [`ConnectionKill::kill`] was called on this handle or a clone of it.
    pub async fn killed(&self) {
        self.0.notified().await;
    }
}
