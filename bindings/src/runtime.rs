//! The threads behind the bindings: one tokio runtime for the core's I/O and timers, one for
//! calls into host code. Both are started lazily and each runs on a single thread.
//!
//! Why so small: a mobile app may never sign in during a launch, and a sign-in is a handful of
//! HTTPS requests and timers. Tokio's multi-threaded scheduler (one worker per core) is neither
//! needed nor free: the current-thread scheduler keeps the library smaller (see BENCHMARKS.md)
//! and starts one thread, `obauth-rt`, the first time a client is built.
//!
//! Why a second thread for host callbacks (`obauth-callbacks`): state observers and the log
//! sink are arbitrary host code. Delivered on the I/O thread, a slow observer would stall every
//! request and timer, and one that blocks on the core (say `runBlocking { awaitTokens() }` in
//! an observer) would deadlock it. On their own thread they can only delay each other.
//!
//! Async methods exported to Swift/Kotlin do not use UniFFI's `tokio` feature (which would bring
//! `async-compat` and a hidden runtime of its own): each spawns its Rust future on the I/O
//! runtime and hands the foreign executor the task's join handle, a plain future that any
//! executor can poll. Dropping it (a cancelled Kotlin coroutine or Swift `Task`) aborts the
//! task.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::{Builder, Handle};
use tokio::task::JoinHandle;

use crate::error::ObAuthError;

static IO: OnceLock<Handle> = OnceLock::new();
static CALLBACKS: OnceLock<Handle> = OnceLock::new();

/// The runtime the core's flows, requests and timers run on (thread `obauth-rt`).
pub(crate) fn handle() -> Handle {
    IO.get_or_init(|| start("obauth-rt", true)).clone()
}

/// The runtime that calls host code: observers and the log sink (thread `obauth-callbacks`).
pub(crate) fn callbacks() -> Handle {
    CALLBACKS
        .get_or_init(|| start("obauth-callbacks", false))
        .clone()
}

/// A current-thread runtime driven forever by a thread of its own.
fn start(name: &str, drivers: bool) -> Handle {
    let mut builder = Builder::new_current_thread();
    if drivers {
        builder.enable_io().enable_time();
    }
    // Building a runtime or a thread fails only when the OS refuses resources; nothing in the
    // bindings can work without them, and a panic here becomes an error at the FFI boundary.
    let runtime = builder
        .build()
        .unwrap_or_else(|e| panic!("obauth: cannot build the {name} runtime: {e}"));
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))
        .unwrap_or_else(|e| panic!("obauth: cannot start the {name} thread: {e}"));
    handle
}

/// Runs `future` on the I/O runtime. The returned future resolves to its output (or `None` if
/// the task panicked) and aborts the task when dropped before completion.
pub(crate) fn spawn<F>(future: F) -> Spawned<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Spawned(handle().spawn(future))
}

/// Runs a core call on the I/O runtime (see [`spawn`]) and converts its result: the body of
/// every exported async method. A task that panicked becomes a `Fatal` `internal` error.
pub(crate) async fn run<T, F>(future: F) -> Result<T, ObAuthError>
where
    F: Future<Output = Result<T, obauth::Error>> + Send + 'static,
    T: Send + 'static,
{
    spawn(future)
        .await
        .ok_or_else(|| ObAuthError::internal("an ObAuth task ended unexpectedly"))?
        .map_err(ObAuthError::from)
}

/// A task on the I/O runtime, awaited from a foreign executor. See [`spawn`].
pub(crate) struct Spawned<T>(JoinHandle<T>);

impl<T> Future for Spawned<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(Result::ok)
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        // A no-op once the task has finished.
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Polls a future to completion on this (non-runtime) thread, as a foreign executor would.
    fn block_on<F: Future>(future: F) -> F::Output {
        Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn spawned_tasks_run_and_use_timers_without_an_ambient_runtime() {
        let out = block_on(spawn(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            40 + 2
        }));
        assert_eq!(out, Some(42));
    }

    #[test]
    fn panics_become_none() {
        let out: Option<()> = block_on(spawn(async { panic!("boom") }));
        assert_eq!(out, None);
    }

    #[test]
    fn dropping_the_awaiting_future_aborts_the_task() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let spawned = spawn(async move {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            drop(tx);
        });
        drop(spawned);
        // The task is aborted, so its sender is dropped without the hour passing.
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        );
    }
}
