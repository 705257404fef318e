//! What the Aiia connect flow and the OIDC authorize flow share: vetting the client and its
//! `redirect_uri`, answering errors the RFC 6749 way, and turning the user's decision into the
//! `302` back to the app.
//!
//! RFC 6749 §4.1.2.1 splits authorization errors in two. If the `client_id` is unknown or the
//! `redirect_uri` is missing or not registered, the server must **not** redirect (that would make
//! it an open redirector, or send an error to an attacker): the user gets an error page, `400`,
//! HTML — or JSON when the request's `Accept` asks only for JSON. Every other problem
//! (`response_type`, `scope`, PKCE, repeated parameters) is reported by redirecting to the vetted
//! `redirect_uri` with `error`, `error_description` and the request's `state`.
//!
//! Redirect query values are percent-encoded with the RFC 3986 unreserved set (`percent.rs`):
//! codes from `tokens.rs` contain `+`, `/` and `=`, which arrive as `%2B`, `%2F`, `%3D`.

use std::time::{Instant, SystemTime};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use url::Url;

use crate::app::App;
use crate::login_page::with_query;
use crate::oauth_store::{AuthRequest, Flow, RequestError};
use crate::params::Params;
use crate::{ConsentScript, oauth_pages, pages, percent, redirect_uri, respond};

/// The name in the page header: Aiia for the connect flow, the bank for OIDC.
pub(crate) fn brand(app: &App, flow: Flow) -> &str {
    match flow {
        Flow::Connect => "Aiia",
        Flow::Oidc => &app.config.provider_id,
    }
}

/// Whether the client asked for JSON rather than a page (`Accept` names JSON but not HTML).
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// An error shown to the user instead of redirecting (see the module docs).
pub(crate) fn error_page(
    headers: &HeaderMap,
    brand: &str,
    status: StatusCode,
    error: &str,
    description: &str,
) -> Response {
    if wants_json(headers) {
        return respond::json(
            status,
            &json!({ "error": error, "error_description": description }),
        );
    }
    let title = match error {
        "invalid_client" => "Unknown app",
        "expired" => "This request has expired",
        "already_decided" => "This request has already been answered",
        _ => "This request is not valid",
    };
    respond::html(status, oauth_pages::message(brand, title, description))
}

/// A `302 Found` to `location`, with a small HTML body for clients that show it.
pub(crate) fn redirect(brand: &str, location: &str) -> Response {
    let mut response = respond::html(StatusCode::FOUND, pages::redirecting(brand, location));
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        // `location` is built from a parsed URL and percent-encoded values; cannot happen.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `name=value&...` with every value percent-encoded; `None` values are left out.
fn query(pairs: &[(&str, Option<&str>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", percent::encode(v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// The checks every authorize endpoint makes once the client and its redirect URI are vetted:
/// well-formed parameters and `response_type=code`. Returns the refusal (the error redirect
/// `fail` builds), or `None` when the request may go on.
pub(crate) fn check_code_request(
    params: &crate::params::Params,
    fail: &dyn Fn(&str, &str) -> Response,
) -> Option<Response> {
    if let Some(problem) = params.problem() {
        return Some(fail("invalid_request", &problem));
    }
    match params.get("response_type") {
        Some("code") => None,
        None => Some(fail(
            "invalid_request",
            "The response_type parameter is required.",
        )),
        Some(other) => Some(fail(
            "unsupported_response_type",
            &format!("response_type '{other}' is not supported; use 'code'."),
        )),
    }
}

/// A redirect back to the client carrying an OAuth error (and `state`, if the request had one).
pub(crate) fn error_redirect(
    brand: &str,
    redirect_uri: &Url,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let params = query(&[
        ("error", Some(error)),
        ("error_description", Some(description)),
        ("state", state),
    ]);
    redirect(brand, &with_query(redirect_uri, &params))
}

/// A client that passed the checks that decide whether we may redirect at all.
#[derive(Debug, Clone)]
pub(crate) struct VettedClient {
    pub client_id: String,
    /// Exactly as sent.
    pub redirect_uri: String,
    pub redirect_url: Url,
}

/// Why a client or its redirect URI was refused: shown on a `400` page, never redirected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub error: &'static str,
    pub description: String,
}

impl Refusal {
    /// The error page for this refusal.
    pub fn page(&self, headers: &HeaderMap, brand: &str) -> Response {
        error_page(
            headers,
            brand,
            StatusCode::BAD_REQUEST,
            self.error,
            &self.description,
        )
    }
}

/// Checks `client_id` against the one client `expected_client` and `redirect_uri` against its
/// `registered` URIs.
pub(crate) fn vet_client(
    params: &Params,
    expected_client: &str,
    registered: &[String],
) -> Result<VettedClient, Refusal> {
    let page = |error: &'static str, description: &str| Refusal {
        error,
        description: description.to_owned(),
    };
    for name in ["client_id", "redirect_uri"] {
        if params.is_repeated(name) {
            return Err(page(
                "invalid_request",
                &format!("The parameter '{name}' must not be sent more than once."),
            ));
        }
    }
    let Some(client_id) = params.get("client_id") else {
        return Err(page(
            "invalid_request",
            "The client_id parameter is required.",
        ));
    };
    if client_id != expected_client {
        return Err(page(
            "invalid_client",
            &format!("No app with the client_id '{client_id}' is registered here."),
        ));
    }
    let Some(redirect) = params.get("redirect_uri") else {
        return Err(page(
            "invalid_request",
            "The redirect_uri parameter is required.",
        ));
    };
    let url = Url::parse(redirect)
        .ok()
        .filter(|_| redirect_uri::is_registered(registered, redirect));
    let Some(redirect_url) = url else {
        return Err(page(
            "invalid_request",
            &format!(
                "The redirect_uri '{redirect}' is not registered for this app. \
                 The app will not be contacted."
            ),
        ));
    };
    Ok(VettedClient {
        client_id: client_id.to_owned(),
        redirect_uri: redirect.to_owned(),
        redirect_url,
    })
}

/// Splits a space-delimited `scope` (default `default` when absent) and checks every scope is in
/// `allowed`. Duplicates are dropped, order kept. `Err` names the unknown scopes.
pub(crate) fn parse_scopes(
    scope: Option<&str>,
    default: &str,
    allowed: &[String],
) -> Result<Vec<String>, String> {
    let mut scopes: Vec<String> = Vec::new();
    for s in scope.unwrap_or(default).split_whitespace() {
        if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_owned());
        }
    }
    let unknown: Vec<&str> = scopes
        .iter()
        .filter(|s| !allowed.contains(s))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(format!("Unknown scope: {}", unknown.join(" ")));
    }
    if scopes.is_empty() {
        return Err("The scope parameter is empty.".to_owned());
    }
    Ok(scopes)
}

/// The consent script in force.
pub(crate) fn script(app: &App) -> ConsentScript {
    app.store()
        .oauth
        .consent_script()
        .unwrap_or(app.config.consent_script)
}

/// Decides consent request `id` of `flow` (the page's form, or a consent script) and answers with
/// the redirect back to the app — or an error page if the request cannot be decided.
pub(crate) fn decide(
    app: &App,
    headers: &HeaderMap,
    flow: Flow,
    id: Option<&str>,
    approve: bool,
) -> Response {
    let brand = brand(app, flow);
    let result = match id {
        Some(id) => app
            .store()
            .oauth
            .decide(id, flow, approve, Instant::now(), SystemTime::now()),
        None => Err(RequestError::Unknown),
    };
    let decision = match result {
        Ok(d) => d,
        Err(e) => return request_error(headers, brand, e),
    };
    let Ok(url) = Url::parse(&decision.request.redirect_uri) else {
        return request_error(headers, brand, RequestError::Unknown);
    };
    let state = decision.request.state.as_deref();
    match decision.approved {
        Some((code, consent_id)) => {
            let consent = (flow == Flow::Connect).then_some(consent_id.as_str());
            let params = query(&[
                ("code", Some(&code)),
                ("state", state),
                ("consentId", consent),
            ]);
            redirect(brand, &with_query(&url, &params))
        }
        None => error_redirect(
            brand,
            &url,
            "access_denied",
            "The user cancelled the request.",
            state,
        ),
    }
}

/// The page for a consent request that cannot be shown or decided.
pub(crate) fn request_error(headers: &HeaderMap, brand: &str, error: RequestError) -> Response {
    match error {
        RequestError::Unknown => error_page(
            headers,
            brand,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "This link is unknown, incomplete or has been tampered with. Start again from the app.",
        ),
        RequestError::Expired => error_page(
            headers,
            brand,
            StatusCode::BAD_REQUEST,
            "expired",
            "This request has expired. Start again from the app.",
        ),
        RequestError::Decided => error_page(
            headers,
            brand,
            StatusCode::CONFLICT,
            "already_decided",
            "This request has already been answered. Return to the app to continue.",
        ),
    }
}

/// Shows the consent page for `request` (or applies the consent script at once).
pub(crate) fn show(
    app: &App,
    headers: &HeaderMap,
    flow: Flow,
    id: &str,
    request: &AuthRequest,
) -> Response {
    match script(app) {
        ConsentScript::Approve => return decide(app, headers, flow, Some(id), true),
        ConsentScript::Cancel => return decide(app, headers, flow, Some(id), false),
        ConsentScript::Page => {}
    }
    let view = oauth_pages::ConsentView {
        request_id: id,
        client_id: &request.client_id,
        scopes: &request.scopes,
        bank: &app.config.provider_id,
        accounts_group_name: request.accounts_group_name.as_deref(),
        accounts_group_id: request.accounts_group_id.as_deref(),
    };
    let html = match flow {
        Flow::Connect => oauth_pages::aiia_consent(&view),
        Flow::Oidc => oauth_pages::oidc_login(&view),
    };
    let mut response = respond::html(StatusCode::OK, html);
    // The page carries a one-time request id; keep it out of caches and other frames.
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Handles a consent page's form post (`request`, `decision=approve|cancel`).
pub(crate) fn decide_form(app: &App, headers: &HeaderMap, flow: Flow, body: &[u8]) -> Response {
    let form = Params::parse(body);
    let approve = match form.get("decision") {
        Some("approve") => true,
        Some("cancel") => false,
        _ => {
            return error_page(
                headers,
                brand(app, flow),
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The form must send decision=approve or decision=cancel.",
            );
        }
    };
    decide(app, headers, flow, form.get("request"), approve)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_default_dedupe_and_validate() {
        let allowed = vec!["accounts".to_owned(), "offline_access".to_owned()];
        assert_eq!(
            parse_scopes(None, "accounts offline_access", &allowed).unwrap(),
            allowed
        );
        assert_eq!(
            parse_scopes(Some("accounts  accounts"), "x", &allowed).unwrap(),
            vec!["accounts".to_owned()]
        );
        let err = parse_scopes(Some("accounts payments admin"), "x", &allowed).unwrap_err();
        assert!(err.contains("payments admin"), "{err}");
        assert!(parse_scopes(Some("   "), "accounts", &allowed).is_err());
    }

    #[test]
    fn query_encodes_values_and_skips_absent_ones() {
        assert_eq!(
            query(&[
                ("code", Some("a+b/c=")),
                ("state", None),
                ("x", Some("é &"))
            ]),
            "code=a%2Bb%2Fc%3D&x=%C3%A9%20%26"
        );
    }

    #[test]
    fn json_errors_only_when_asked_for() {
        let mut h = HeaderMap::new();
        assert!(!wants_json(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(wants_json(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/json;q=0.9"),
        );
        assert!(!wants_json(&h));
    }
}
