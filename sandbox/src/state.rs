//! The shared application state every handler and middleware gets: configuration, base URL,
//! the store behind its one mutex, the fault queues and the shutdown signal.
//!
//! It exists on its own so that the routes, the middleware and the router all depend on it and
//! on nothing of each other. It knows how to build itself and how to derive the links it hands
//! out from a request's `Host`; it knows no route.

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::HeaderMap;
use axum::http::header::HOST;
use tokio::sync::watch;

use crate::config::SandboxConfig;
use crate::http::query;
use crate::model::fault::FaultQueues;
use crate::model::store::{Lifetimes, Store};

/// Cheaply cloneable handle to the shared sandbox state.
#[derive(Debug, Clone)]
pub(crate) struct App(Arc<Inner>);

#[derive(Debug)]
pub(crate) struct Inner {
    pub config: SandboxConfig,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    store: Mutex<Store>,
    pub faults: FaultQueues,
    /// Becomes `true` when the sandbox shuts down; long polls answer at once then.
    pub shutdown: watch::Receiver<bool>,
}

impl Deref for App {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    pub fn new(config: SandboxConfig, base_url: String, shutdown: watch::Receiver<bool>) -> App {
        App(Arc::new(Inner {
            config,
            base_url,
            store: Mutex::new(Store::default()),
            faults: FaultQueues::default(),
            shutdown,
        }))
    }

    /// Locks the store. Never hold the guard across an `.await`.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap()
    }

    pub fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            code: self.config.code_lifetime,
            access_token: self.config.access_token_lifetime,
            login_token: self.config.login_token_lifetime,
            supports_unattended: self.config.supports_unattended,
        }
    }

    /// The base URL to put into links handed to the client (`authUrl`).
    ///
    /// Uses the request's `Host` header when it is a plain `host[:port]`, so a client that
    /// reached the sandbox as `localhost:PORT` or through an emulator alias (`10.0.2.2:PORT`)
    /// gets a link it can open; otherwise `http://127.0.0.1:PORT`.
    pub fn public_base(&self, headers: &HeaderMap) -> String {
        let host = headers.get(HOST).and_then(|v| v.to_str().ok());
        match host {
            Some(h)
                if !h.is_empty()
                    && h.len() <= 255
                    && h.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                    }) =>
            {
                format!("http://{h}")
            }
            _ => self.base_url.clone(),
        }
    }

    /// A link to `path` on this sandbox as the request with `headers` reached it, with the
    /// percent-encoded query `name=value` (the `authUrl` and the consent-page redirect).
    pub fn link(&self, headers: &HeaderMap, path: &str, name: &str, value: &str) -> String {
        format!(
            "{}{path}?{name}={}",
            self.public_base(headers),
            query::encode(value)
        )
    }

    /// The OIDC issuer as seen by a request with these headers: `<public base>/oidc`
    /// (see `routes/oidc.rs`).
    pub fn issuer(&self, headers: &HeaderMap) -> String {
        format!("{}/oidc", self.public_base(headers))
    }
}
