//! Serving a router: the accept loop (plain TCP, or TLS with rustls), bounded connections,
//! header and handshake timeouts, and graceful shutdown.
//!
//! Shutdown: once the `shutdown` future resolves the listener is closed, every connection is
//! told to finish (idle keep-alive connections close at once, in-flight requests complete), and
//! whatever still runs after [`ServeOptions::grace`] is aborted.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::config::{ConfigError, config_error};

/// A TLS server configuration (certificate chain and private key).
#[derive(Clone)]
pub struct TlsConfig(Arc<rustls::ServerConfig>);

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

impl TlsConfig {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or
    /// SEC1). TLS 1.2 and 1.3, rustls with the ring provider, HTTP/1.1.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, ConfigError> {
        let certs = CertificateDer::pem_file_iter(cert)
            .map_err(|e| config_error(format!("--tls-cert {}: {e}", cert.display())))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| config_error(format!("--tls-cert {}: {e}", cert.display())))?;
        if certs.is_empty() {
            return Err(config_error(format!(
                "--tls-cert {}: no certificate found",
                cert.display()
            )));
        }
        // The error of a key file is described without its content.
        let key = PrivateKeyDer::from_pem_file(key).map_err(|_| {
            config_error(format!(
                "--tls-key {}: no readable PEM private key",
                key.display()
            ))
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| config_error(format!("TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| config_error(format!("TLS certificate and key: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConfig(Arc::new(config)))
    }
}

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Terminate TLS with this configuration (else plain HTTP).
    pub tls: Option<TlsConfig>,
    /// How long shutdown waits for in-flight requests.
    pub grace: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Time allowed for a request's headers (and for a TLS handshake).
    pub header_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            tls: None,
            grace: Duration::from_secs(10),
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
        }
    }
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await.map(|_| ());
}

/// Serves `router` on `listener` until `shutdown` resolves, then shuts down gracefully.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let acceptor = options
        .tls
        .as_ref()
        .map(|tls| tokio_rustls::TlsAcceptor::from(tls.0.clone()));
    let permits = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let router = router.clone();
                    let stop = stop_rx.clone();
                    let timeout = options.header_timeout;
                    let acceptor = acceptor.clone();
                    connections.spawn(async move {
                        let _permit = permit;
                        match acceptor {
                            None => serve_connection(stream, router, stop, timeout).await,
                            Some(acceptor) => {
                                match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                                    Ok(Ok(tls)) => serve_connection(tls, router, stop, timeout).await,
                                    Ok(Err(e)) => log::debug!(target: "obauth_relay", "TLS handshake failed: {e}"),
                                    Err(_) => log::debug!(target: "obauth_relay", "TLS handshake timed out"),
                                }
                            }
                        }
                    });
                }
                // E.g. out of file descriptors: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    log::info!(target: "obauth_relay", "shutting down: finishing {} connection(s)", connections.len());
    stop_tx.send_replace(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(options.grace, drain).await.is_err() {
        log::warn!(
            target: "obauth_relay",
            "shutdown grace period over: aborting {} connection(s)",
            connections.len()
        );
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

async fn serve_connection<I>(
    io: I,
    router: Router,
    mut stop: watch::Receiver<bool>,
    header_timeout: Duration,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| router.clone().oneshot(req));
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => break,
            () = stopped(&mut stop), if !draining => {
                connection.as_mut().graceful_shutdown();
                draining = true;
            }
        }
    }
}
