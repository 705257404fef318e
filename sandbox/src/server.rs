//! The accept loop: one hyper HTTP/1 connection task per TCP connection.
//!
//! `axum::serve` would do for a normal server, but the `DropConnection` fault must close a TCP
//! connection without writing any response, and a handler has no way to reach its connection
//! through `axum::serve`. So the sandbox accepts connections itself and gives every request a
//! [`ConnectionKill`] handle (a request extension, `http/connection.rs`). The fault calls
//! [`ConnectionKill::kill`] and parks; the connection task, which `select!`s on
//! [`ConnectionKill::killed`], stops polling the hyper connection and drops it. That drops the
//! socket (the client sees EOF/reset before any status line) and the parked handler with it. No
//! panics, nothing printed, and other connections are untouched.
//!
//! Shutdown: the accept loop stops accepting, every connection is told to finish gracefully
//! (an idle keep-alive connection closes at once, an in-flight request completes; long polls end
//! early because they also watch the shutdown signal), and whatever is still running after
//! [`GRACE`] is aborted. Dropping the [`crate::Sandbox`] aborts the loop task, and with it the
//! `JoinSet` holding every connection task.

use std::time::Duration;

use axum::Router;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::http::connection::ConnectionKill;

/// How long a graceful shutdown waits for in-flight requests.
const GRACE: Duration = Duration::from_secs(2);

/// Resolves once shutdown is requested (or the sandbox handle is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // The `Ref` returned by `wait_for` must not live across an await; discard it here.
    let _ = shutdown.wait_for(|stop| *stop).await.map(|_| ());
}

/// Serves `router` on `listener` until `shutdown` becomes `true` (or its sender is dropped).
pub(crate) async fn run(listener: TcpListener, router: Router, shutdown: watch::Receiver<bool>) {
    let mut stop = shutdown.clone();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone(), shutdown.clone()));
                }
                // E.g. out of file descriptors: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            () = stopped(&mut stop) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(GRACE, drain).await;
    connections.abort_all();
}

async fn serve_connection(stream: TcpStream, router: Router, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let kill = ConnectionKill::default();
    let handle = kill.clone();
    let service = service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(handle.clone());
        router.clone().oneshot(req)
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            // Served to completion, or an I/O error: either way the connection is over.
            _ = connection.as_mut() => break,
            // DropConnection: returning drops the connection (and the socket) unanswered.
            () = kill.killed() => break,
            () = stopped(&mut shutdown), if !draining => {
                connection.as_mut().graceful_shutdown();
                draining = true;
            }
        }
    }
}
