//! The provider's endpoints, one module per endpoint group: supervised login (`enterprise`), its
//! hosted page (`login_page`), the Aiia connect flow (`oauth_connect`, `oauth_token`), OIDC
//! (`oidc`, `oidc_token`) and the `/_sandbox` control API (`control`).
//!
//! Each module exposes `routes(&App) -> Router<App>` and depends only on the layers below it
//! (state, middleware, `oauth/`, HTTP helpers, the domain); route modules never import each
//! other, so what two flows share lives in `oauth/` or `http/`. This file holds the one thing
//! they all use to declare a route: [`Routes`], which puts every provider route behind the guard
//! of its [`Endpoint`].

pub(crate) mod control;
pub(crate) mod enterprise;
pub(crate) mod login_page;
pub(crate) mod oauth_connect;
pub(crate) mod oauth_token;
pub(crate) mod oidc;
pub(crate) mod oidc_session;
pub(crate) mod oidc_token;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::MethodRouter;

use crate::middleware::guard;
use crate::model::endpoint::Endpoint;
use crate::state::App;

/// The routes of one endpoint group, built one guarded route at a time.
pub(crate) struct Routes<'a> {
    app: &'a App,
    router: Router<App>,
}

impl<'a> Routes<'a> {
    pub fn new(app: &'a App) -> Routes<'a> {
        Routes {
            app,
            router: Router::new(),
        }
    }

    /// Adds `route` at `path`, wrapped with the fault/count/auth guard for `endpoint` (see
    /// `middleware/guard.rs`).
    ///
    /// Uses `route_layer`, so a request with the wrong method (405) neither counts nor pops a
    /// fault.
    pub fn guarded(self, path: &str, endpoint: Endpoint, route: MethodRouter<App>) -> Routes<'a> {
        let guard = from_fn_with_state((self.app.clone(), endpoint), guard::guard);
        Routes {
            app: self.app,
            router: self.router.route(path, route.route_layer(guard)),
        }
    }

    pub fn into_router(self) -> Router<App> {
        self.router
    }
}
