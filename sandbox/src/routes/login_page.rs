//! The hosted login flow a user sees in the WebView: `GET /v1/authentication/start` and the
//! form post `POST /v1/authentication/start/decision` that ends in a `302` back to the app.
//!
//! The redirect is where clients go wrong, so it is built with care: the code is appended to the
//! app's `redirectUrl` percent-encoded with the RFC 3986 unreserved set (`+` is `%2B`, `/` is
//! `%2F`, `=` is `%3D`), joined with `&` if the URL already has a query, before any fragment.
//! These endpoints need no partner credentials (the browser calls them); faults still apply.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use crate::http::query::{form_value, query, with_query};
use crate::http::respond;
use crate::model::endpoint::Endpoint;
use crate::model::session::SessionState;
use crate::model::store::{CompleteError, PageView};
use crate::model::user::Outcome;
use crate::pages::bank as pages;
use crate::routes::Routes;
use crate::state::App;

/// The hosted-page routes.
pub(crate) fn routes(app: &App) -> Router<App> {
    Routes::new(app)
        .guarded(
            "/v1/authentication/start",
            Endpoint::AuthPage,
            get(start_page),
        )
        .guarded(
            "/v1/authentication/start/decision",
            Endpoint::AuthDecision,
            post(decision),
        )
        .into_router()
}

fn html_message(app: &App, status: StatusCode, title: &str, text: &str) -> Response {
    respond::html(status, pages::message(&app.config.provider_id, title, text))
}

fn invalid_link(app: &App) -> Response {
    html_message(
        app,
        StatusCode::BAD_REQUEST,
        "This login link is not valid",
        "The link is unknown, incomplete or has been tampered with. Start the login again from the app.",
    )
}

fn finished(app: &App, state: SessionState) -> Response {
    html_message(
        app,
        StatusCode::CONFLICT,
        "This login has already finished",
        &format!(
            "The login ended with the state {}. Return to the app to continue.",
            state.as_str()
        ),
    )
}

/// Looks a start token up; returns the token as stored and the session behind it.
///
/// A `+` in an unencoded query arrives as a space after form-decoding; such a token is tried with
/// the `+` restored, so only a truly wrong token is rejected.
fn lookup(app: &App, token: &str) -> Option<(String, PageView)> {
    let now = Instant::now();
    let mut store = app.store();
    if let Some(view) = store.page(token, now) {
        return Some((token.to_owned(), view));
    }
    let restored = token.replace(' ', "+");
    store.page(&restored, now).map(|view| (restored, view))
}

async fn start_page(State(app): State<App>, RawQuery(query): RawQuery) -> Response {
    let token = query.and_then(|q| form_value(q.as_bytes(), "startToken"));
    let Some((token, view)) = token.as_deref().and_then(|t| lookup(&app, t)) else {
        return invalid_link(&app);
    };
    if view.state != SessionState::InProgress {
        return finished(&app, view.state);
    }
    respond::html(
        StatusCode::OK,
        pages::login(&app.config.provider_id, &view.user_hash, &token),
    )
}

async fn decision(State(app): State<App>, body: Bytes) -> Response {
    let token = form_value(&body, "startToken");
    let outcome = match form_value(&body, "decision").as_deref() {
        Some("approve") => Outcome::Approve,
        Some("cancel") => Outcome::Cancel,
        Some("fail") => Outcome::Fail,
        _ => {
            return html_message(
                &app,
                StatusCode::BAD_REQUEST,
                "Unknown choice",
                "The form must send decision=approve, cancel or fail.",
            );
        }
    };
    let Some((_, view)) = token.as_deref().and_then(|t| lookup(&app, t)) else {
        return invalid_link(&app);
    };
    let completed = app
        .store()
        .complete(&view.session_id, outcome, Instant::now());
    let completed = match completed {
        Ok(c) => c,
        Err(CompleteError::Finished(state)) => return finished(&app, state),
        Err(CompleteError::StillWaiting) => {
            return html_message(
                &app,
                StatusCode::CONFLICT,
                "Still waiting for the bank",
                "Your bank has not confirmed the login yet. This login cannot be completed now.",
            );
        }
        Err(CompleteError::NotFound) => return invalid_link(&app),
    };
    let params = match (outcome, completed.code.as_deref()) {
        (Outcome::Approve, Some(code)) => query(&[("code", Some(code))]),
        (Outcome::Cancel, _) => query(&[
            ("error", Some("cancelled")),
            ("error_description", Some("User cancelled the login")),
        ]),
        _ => query(&[
            ("error", Some("failed")),
            ("error_description", Some("The login failed at the bank")),
        ]),
    };
    let location = with_query(&completed.redirect_url, &params);
    respond::found(&app.config.provider_id, &location)
}
