//! Running the core inside a foreign host: the Swift and Kotlin bindings (`obauth-ffi`), which
//! only translate types and call these.
//!
//! **Two threads, started lazily, one runtime each.** A mobile app may never sign in during a
//! launch, and a sign-in is a handful of HTTPS requests and timers: tokio's multi-threaded
//! scheduler (one worker per core) is neither needed nor free. [`runtime`] (thread `obauth-rt`)
//! runs the flows, requests and timers; [`callbacks`] (thread `obauth-callbacks`) calls host
//! code — state observers ([`forward`]) and the log sink ([`logs`]). A host's own networking
//! plugs in as a completion-shaped sender ([`transport`]). Delivered on the I/O
//! thread, a slow observer would stall every request and timer, and one that blocks on the core
//! (say `runBlocking { awaitTokens() }`) would deadlock it; on their own thread they can only
//! delay each other.
//!
//! **Awaiting from a foreign executor.** An exported async function hands the foreign executor
//! [`spawn`]'s join handle, a plain future any executor can poll (no hidden runtime of UniFFI's
//! `tokio` feature): dropping it (a cancelled Kotlin coroutine or Swift `Task`) aborts the task.

pub mod logs;
pub mod transport;

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::driver::StateStream;

static IO: OnceLock<Handle> = OnceLock::new();
static CALLBACKS: OnceLock<Handle> = OnceLock::new();

/// The runtime the flows, requests and timers run on (thread `obauth-rt`).
pub fn runtime() -> Handle {
    IO.get_or_init(|| start("obauth-rt", true)).clone()
}

/// The runtime that calls host code: observers and the log sink (thread `obauth-callbacks`).
pub fn callbacks() -> Handle {
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
    // Building a runtime or a thread fails only when the OS refuses resources; nothing can work
    // without them, and a panic here becomes an error at the FFI boundary.
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

/// Runs `future` on [`runtime`]. The returned future resolves to its output (`None` if the task
/// panicked) and aborts the task when dropped before completion.
pub fn spawn<F>(future: F) -> Spawned<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Type-erased: tokio's task machinery is compiled once for every exported async function
    // instead of once per future type (issue 13); the output comes back over a oneshot, which a
    // panicking task drops (→ `None`).
    let (output, received) = oneshot::channel();
    let task: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
        let _ = output.send(future.await);
    });
    Spawned {
        task: runtime().spawn(task),
        output: received,
    }
}

/// Runs a core call on [`runtime`] (see [`spawn`]) with its result as the FFI throws it: the body
/// of every exported async method. A task that panicked becomes `Fatal` / `internal`.
#[cfg(feature = "uniffi")]
pub async fn run<T, F>(future: F) -> Result<T, crate::ffi::ObAuthError>
where
    F: Future<Output = Result<T, crate::Error>> + Send + 'static,
    T: Send + 'static,
{
    use crate::ffi::ObAuthError;
    spawn(future)
        .await
        .ok_or_else(|| ObAuthError::internal("an ObAuth task ended unexpectedly"))?
        .map_err(ObAuthError::from)
}

/// A task on [`runtime`], awaited from a foreign executor. See [`spawn`].
pub struct Spawned<T> {
    task: JoinHandle<()>,
    output: oneshot::Receiver<T>,
}

impl<T> Future for Spawned<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.output).poll(cx).map(Result::ok)
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        // A no-op once the task has finished.
        self.task.abort();
    }
}

/// Delivers every state of `stream`, in order, to `deliver` on the [`callbacks`] thread, until
/// the stream ends (after the terminal state, or when the flow is dropped). A delivery that
/// fails is logged with the state's `name` and the next state is still delivered: a throwing
/// observer never affects the flow.
pub fn forward<S, E>(
    mut stream: StateStream<S>,
    name: fn(&S) -> &'static str,
    mut deliver: impl FnMut(S) -> Result<(), E> + Send + 'static,
) where
    S: Send + 'static,
    E: Display,
{
    // Detached on purpose: it ends by itself with the stream. Boxed, like `spawn`.
    let task: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
        while let Some(state) = stream.next().await {
            let state_name = name(&state);
            if let Err(e) = deliver(state) {
                log::warn!("state observer failed on {state_name}: {e}");
            }
        }
    });
    drop(callbacks().spawn(task));
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
