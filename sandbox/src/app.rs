//! The context every handler shares, and the router that assembles the endpoint modules.
//!
//! Each flow's endpoints live in their own module exposing `routes(&App) -> Router<App>`;
//! this file only merges them. A flow adds a module, an [`Endpoint`] variant per route and one
//! `.merge` line here.
//! Provider routes are wrapped with [`guarded`], which applies faults, counting and partner auth
//! (see `guard.rs`); the `/_sandbox` control routes are not.

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::middleware::from_fn_with_state;
use axum::routing::MethodRouter;
use tokio::sync::watch;

use crate::faults::FaultQueues;
use crate::respond::ApiError;
use crate::store::{Lifetimes, Store};
use crate::{
    Endpoint, SandboxConfig, access_log, control, enterprise, guard, login_page, oauth_connect,
    oauth_token, oidc, oidc_token,
};

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
        }
    }

    /// Whether the request carries the right `X-Client-Id` and `X-Client-Secret`.
    pub fn partner_authorized(&self, headers: &HeaderMap) -> bool {
        let matches = |name: &str, expected: &str| {
            headers
                .get(name)
                .is_some_and(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()))
        };
        // Evaluate both so timing does not reveal which one was wrong.
        let id_ok = matches("x-client-id", &self.config.client_id);
        let secret_ok = matches("x-client-secret", &self.config.client_secret);
        id_ok & secret_ok
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
}

/// Compares secrets without an early exit on the first differing byte.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Wraps a provider route with the fault/count/auth guard for `endpoint`.
///
/// Uses `route_layer`, so a request with the wrong method (405) neither counts nor pops a fault.
pub(crate) fn guarded(
    app: &App,
    endpoint: Endpoint,
    route: MethodRouter<App>,
) -> MethodRouter<App> {
    route.route_layer(from_fn_with_state((app.clone(), endpoint), guard::guard))
}

/// The complete router: every flow's endpoints, the control API and the access log.
pub(crate) fn router(app: App) -> Router {
    Router::new()
        .merge(enterprise::routes(&app))
        .merge(login_page::routes(&app))
        .merge(oauth_connect::routes(&app))
        .merge(oauth_token::routes(&app))
        .merge(oidc::routes(&app))
        .merge(oidc_token::routes(&app))
        .merge(control::routes())
        .fallback(|| async { ApiError::not_found() })
        .layer(from_fn_with_state(app.clone(), access_log::access_log))
        .with_state(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
