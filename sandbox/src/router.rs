//! The complete router: every endpoint group's routes, the control API, the JSON `404` fallback
//! and the access log, over one shared [`App`].
//!
//! The top of the layering: it imports the routes and the middleware, and only `lib.rs` imports
//! it. A new flow adds a module under `routes/`, an [`Endpoint`] variant per route and one
//! `.merge` line here.
//!
//! [`Endpoint`]: crate::model::endpoint::Endpoint

use axum::Router;
use axum::middleware::from_fn_with_state;

use crate::http::respond::ApiError;
use crate::middleware::access_log;
use crate::routes::{
    control, enterprise, login_page, oauth_connect, oauth_token, oidc, oidc_session, oidc_token,
};
use crate::state::App;

/// The complete router: every flow's endpoints, the control API and the access log.
pub(crate) fn router(app: App) -> Router {
    Router::new()
        .merge(enterprise::routes(&app))
        .merge(login_page::routes(&app))
        .merge(oauth_connect::routes(&app))
        .merge(oauth_token::routes(&app))
        .merge(oidc::routes(&app))
        .merge(oidc_token::routes(&app))
        .merge(oidc_session::routes(&app))
        .merge(control::routes())
        .fallback(|| async { ApiError::not_found() })
        .layer(from_fn_with_state(app.clone(), access_log::access_log))
        .with_state(app)
}
