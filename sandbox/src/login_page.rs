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
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use url::Url;

use crate::app::{App, guarded};
use crate::store::{CompleteError, PageView};
use crate::{Endpoint, Outcome, SessionState, pages, percent, respond};

/// The hosted-page routes.
pub(crate) fn routes(app: &App) -> Router<App> {
    Router::new()
        .route(
            "/v1/authentication/start",
            guarded(app, Endpoint::AuthPage, get(start_page)),
        )
        .route(
            "/v1/authentication/start/decision",
            guarded(app, Endpoint::AuthDecision, post(decision)),
        )
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

/// The first value of `name` in a form-urlencoded string.
fn form_value(encoded: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
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

/// Appends already-encoded `params` to the query of `url`, keeping any existing query and fragment.
pub(crate) fn with_query(url: &Url, params: &str) -> String {
    let mut url = url.clone();
    let query = match url.query() {
        Some(existing) if !existing.is_empty() => format!("{existing}&{params}"),
        _ => params.to_owned(),
    };
    url.set_query(Some(&query));
    url.into()
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
    let params = match (outcome, completed.code) {
        (Outcome::Approve, Some(code)) => format!("code={}", percent::encode(&code)),
        (Outcome::Cancel, _) => {
            "error=cancelled&error_description=User%20cancelled%20the%20login".to_owned()
        }
        _ => "error=failed&error_description=The%20login%20failed%20at%20the%20bank".to_owned(),
    };
    let location = with_query(&completed.redirect_url, &params);
    let mut response = respond::html(
        StatusCode::FOUND,
        pages::redirecting(&app.config.provider_id, &location),
    );
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_appended_before_the_fragment() {
        let u = |s| Url::parse(s).unwrap();
        assert_eq!(
            with_query(&u("https://app.example/cb"), "code=a%2B"),
            "https://app.example/cb?code=a%2B"
        );
        assert_eq!(
            with_query(&u("https://app.example/cb?x=1#frag"), "code=a%2B"),
            "https://app.example/cb?x=1&code=a%2B#frag"
        );
        assert_eq!(
            with_query(&u("https://app.example/cb?"), "code=a"),
            "https://app.example/cb?code=a"
        );
    }
}
