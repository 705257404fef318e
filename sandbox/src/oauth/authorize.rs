//! What the Aiia connect flow and the OIDC authorize flow share: vetting the authorize request
//! (client, `redirect_uri`, parameters, `response_type`, scopes), answering errors the RFC 6749
//! way, showing the consent page and turning the user's decision into the `302` back to the app.
//!
//! RFC 6749 §4.1.2.1 splits authorization errors in two. If the `client_id` is unknown or the
//! `redirect_uri` is missing or not registered, the server must **not** redirect (that would make
//! it an open redirector, or send an error to an attacker): the user gets an error page, `400`,
//! HTML — or JSON when the request's `Accept` asks only for JSON. Every other problem
//! (`response_type`, `scope`, PKCE, repeated parameters) is reported by redirecting to the vetted
//! `redirect_uri` with `error`, `error_description` and the request's `state`.
//!
//! Redirect query values are percent-encoded with the RFC 3986 unreserved set (`http/query.rs`):
//! codes from `crypto/tokens.rs` contain `+`, `/` and `=`, which arrive as `%2B`, `%2F`, `%3D`.

use std::time::{Instant, SystemTime};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;
use url::Url;

use crate::http::params::{MAX_VALUE_LEN, Params};
use crate::http::query::{query, with_query};
use crate::http::respond;
use crate::model::oauth_store::{AuthRequest, Flow, RequestError};
use crate::model::redirect_uri;
use crate::model::scopes::parse_scopes;
use crate::model::user::ConsentScript;
use crate::pages::consent as pages;
use crate::state::App;

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
fn error_page(
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
    respond::html(status, pages::message(brand, title, description))
}

/// A redirect back to the client carrying an OAuth error (and `state`, if the request had one).
fn error_redirect(
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
    respond::found(brand, &with_query(redirect_uri, &params))
}

/// A client that passed the checks that decide whether we may redirect at all.
#[derive(Debug, Clone)]
struct VettedClient {
    client_id: String,
    /// Exactly as sent.
    redirect_uri: String,
    redirect_url: Url,
}

/// Checks `client_id` against the one client `expected_client` and `redirect_uri` against its
/// `registered` URIs. `Err` is the `400` refusal `(error, description)`, never redirected.
fn vet_client(
    params: &Params,
    expected_client: &str,
    registered: &[String],
) -> Result<VettedClient, (&'static str, String)> {
    for name in ["client_id", "redirect_uri"] {
        if params.is_repeated(name) {
            return Err((
                "invalid_request",
                format!("The parameter '{name}' must not be sent more than once."),
            ));
        }
    }
    let required = |name: &str| {
        params.get(name).ok_or_else(|| {
            (
                "invalid_request",
                format!("The {name} parameter is required."),
            )
        })
    };
    let client_id = required("client_id")?;
    if client_id != expected_client {
        return Err((
            "invalid_client",
            format!("No app with the client_id '{client_id}' is registered here."),
        ));
    }
    let redirect = required("redirect_uri")?;
    let url = Url::parse(redirect)
        .ok()
        .filter(|_| redirect_uri::is_registered(registered, redirect));
    let Some(redirect_url) = url else {
        return Err((
            "invalid_request",
            format!(
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

/// An authorize request of either flow that passed every check both flows make. What is left
/// is the flow's own (PKCE for OIDC), reported with [`Authorize::fail`].
#[derive(Debug)]
pub(crate) struct Authorize {
    pub params: Params,
    flow: Flow,
    brand: String,
    client: VettedClient,
    /// `state` to echo: absent, or the request's unless it was oversized.
    state: Option<String>,
    scopes: Vec<String>,
}

/// Vets the authorize request of `flow` in the query `query`, in the order the RFC asks: client
/// and redirect URI (else an error page), then parameter rules, `response_type=code` and the
/// scopes (else an error redirect to the app). `Err` is the answer to send (boxed: a response is
/// large and this is the unusual path).
pub(crate) fn vet(
    app: &App,
    headers: &HeaderMap,
    flow: Flow,
    query: Option<&str>,
) -> Result<Authorize, Box<Response>> {
    let config = &app.config;
    // Per flow: the one client served, its redirect URIs, the scope used when the request has
    // none (as each provider documents) and the scopes it may ask for.
    let (expected_client, registered, default_scope, allowed) = match flow {
        Flow::Connect => (
            &config.client_id,
            &config.redirect_uris,
            "accounts offline_access",
            &config.connect_scopes,
        ),
        Flow::Oidc => (
            &config.public_client_id,
            &config.public_client_redirect_uris,
            "openid",
            &config.oidc_scopes,
        ),
    };
    let params = Params::from_query(query);
    let brand = brand(app, flow);
    let client =
        vet_client(&params, expected_client, registered).map_err(|(error, description)| {
            Box::new(error_page(
                headers,
                brand,
                StatusCode::BAD_REQUEST,
                error,
                &description,
            ))
        })?;
    // From here on, errors go back to the app. `state` is echoed unless it is the oversized one.
    let state = params
        .get("state")
        .filter(|s| s.len() <= MAX_VALUE_LEN)
        .map(str::to_owned);
    let mut vetted = Authorize {
        params,
        flow,
        brand: brand.to_owned(),
        client,
        state,
        scopes: Vec::new(),
    };
    let fail = |error: &str, description: &str| Err(Box::new(vetted.fail(error, description)));
    if let Some(problem) = vetted.params.problem() {
        return fail("invalid_request", &problem);
    }
    match vetted.params.get("response_type") {
        Some("code") => {}
        None => {
            return fail(
                "invalid_request",
                "The response_type parameter is required.",
            );
        }
        Some(other) => {
            return fail(
                "unsupported_response_type",
                &format!("response_type '{other}' is not supported; use 'code'."),
            );
        }
    }
    match parse_scopes(vetted.params.get("scope"), default_scope, allowed) {
        Ok(scopes) => vetted.scopes = scopes,
        Err(description) => return fail("invalid_scope", &description),
    }
    Ok(vetted)
}

impl Authorize {
    /// Sends the user back to the app with an OAuth error (and `state`).
    pub fn fail(&self, error: &str, description: &str) -> Response {
        error_redirect(
            &self.brand,
            &self.client.redirect_url,
            error,
            description,
            self.state.as_deref(),
        )
    }

    /// The request to store while the user decides; the flow-specific parts start empty.
    pub fn into_request(self) -> AuthRequest {
        AuthRequest {
            flow: self.flow,
            client_id: self.client.client_id,
            redirect_uri: self.client.redirect_uri,
            scopes: self.scopes,
            state: self.state,
            nonce: None,
            code_challenge: None,
            accounts_group_name: None,
            accounts_group_id: None,
            offline_ignored: false,
        }
    }
}

/// The consent script in force.
fn script(app: &App) -> ConsentScript {
    app.store()
        .oauth
        .consent_script()
        .unwrap_or(app.config.consent_script)
}

/// Decides consent request `id` of `flow` (the page's form, or a consent script) and answers with
/// the redirect back to the app — or an error page if the request cannot be decided.
fn decide(app: &App, headers: &HeaderMap, flow: Flow, id: Option<&str>, approve: bool) -> Response {
    decide_as(app, headers, flow, id, approve, false)
}

/// [`decide`]; a refusal `without_code` comes back to an Aiia connect client with `state` only.
fn decide_as(
    app: &App,
    headers: &HeaderMap,
    flow: Flow,
    id: Option<&str>,
    approve: bool,
    without_code: bool,
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
            respond::found(brand, &with_query(&url, &params))
        }
        None if without_code && flow == Flow::Connect => {
            respond::found(brand, &with_query(&url, &query(&[("state", state)])))
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
    let (status, error, description) = match error {
        RequestError::Unknown => (
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "This link is unknown, incomplete or has been tampered with. Start again from the app.",
        ),
        RequestError::Expired => (
            StatusCode::BAD_REQUEST,
            "expired",
            "This request has expired. Start again from the app.",
        ),
        RequestError::Decided => (
            StatusCode::CONFLICT,
            "already_decided",
            "This request has already been answered. Return to the app to continue.",
        ),
    };
    error_page(headers, brand, status, error, description)
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
        ConsentScript::ReturnWithoutCode => {
            return decide_as(app, headers, flow, Some(id), false, true);
        }
        ConsentScript::Page => {}
    }
    let view = pages::ConsentView {
        request_id: id,
        client_id: &request.client_id,
        scopes: &request.scopes,
        bank: &app.config.provider_id,
        accounts_group_name: request.accounts_group_name.as_deref(),
        accounts_group_id: request.accounts_group_id.as_deref(),
    };
    let html = match flow {
        Flow::Connect => pages::aiia_consent(&view),
        Flow::Oidc => pages::oidc_login(&view),
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
