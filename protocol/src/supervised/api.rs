//! The Aiia Enterprise wire format: building requests and reading responses, without I/O.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::config::Credentials;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method, RequestKind, parse_json};
use crate::secret::Secret;
use crate::session::{AccessSession, EXPIRY_HEADER};
use crate::timestamp::Timestamp;

use super::state::{CodeSource, LoginToken, SupervisedTokens};

const JSON: &str = "application/json";

/// `POST /v1/authentication/initialize`; in relay mode without `userHash` (the relay sets it).
pub(super) fn initialize(creds: &Credentials, user_hash: &str, redirect_url: &str) -> HttpRequest {
    let body = if creds.is_relay() {
        serde_json::json!({ "redirectUrl": redirect_url })
    } else {
        serde_json::json!({ "userHash": user_hash, "redirectUrl": redirect_url })
    };
    HttpRequest {
        kind: RequestKind::Initialize,
        method: Method::Post,
        url: creds.endpoint("v1/authentication/initialize"),
        headers: creds.partner_headers(),
        body: Some((JSON, Secret::new(body.to_string()))),
        timeout: creds.request_timeout,
    }
}

/// `GET /v1/authentication/{sessionId}/status?pollTimeout=N`; the request time-out covers the
/// provider's hold plus the ordinary request time-out.
pub(super) fn status(creds: &Credentials, session_id: &str, poll_timeout: Duration) -> HttpRequest {
    let mut url = creds.endpoint("v1/authentication/");
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push(session_id).push("status");
    }
    url.query_pairs_mut()
        .append_pair("pollTimeout", &poll_timeout.as_secs().to_string());
    HttpRequest {
        kind: RequestKind::Status,
        method: Method::Get,
        url,
        headers: creds.partner_headers(),
        body: None,
        timeout: poll_timeout + creds.request_timeout,
    }
}

/// `POST /v1/authentication/tokens` with `{"code": …}`; in relay mode
/// `{"code": …, "sessionId": handle}` (the relay checks the code against that session).
pub(super) fn exchange(creds: &Credentials, code: &Secret, session_id: &str) -> HttpRequest {
    let body = if creds.is_relay() {
        serde_json::json!({ "code": code.expose(), "sessionId": session_id })
    } else {
        serde_json::json!({ "code": code.expose() })
    };
    HttpRequest {
        kind: RequestKind::Exchange,
        method: Method::Post,
        url: creds.endpoint("v1/authentication/tokens"),
        headers: creds.partner_headers(),
        body: Some((JSON, Secret::new(body.to_string()))),
        timeout: creds.request_timeout,
    }
}

/// The initialize answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResponse {
    /// The bank page to show.
    pub auth_url: String,
    /// The session to poll.
    pub session_id: String,
}

/// Checks the bank page's URL (the initialize answer's `authUrl`, and the one a restored
/// snapshot holds): the page must never load in cleartext — https, or http to this machine only
/// (the sandbox) — and must name a host without credentials. Android's `loadUrl()` does not pass
/// through the navigation policy, so this is the one place that can refuse it.
pub(super) fn check_auth_url(value: &str) -> Result<Url, &'static str> {
    let auth_url = Url::parse(value).map_err(|_| "authUrl is not a URL")?;
    match auth_url.scheme() {
        "https" => {}
        "http" if crate::validate::is_loopback(&auth_url) => {}
        "http" => return Err("authUrl is plain http to a remote host"),
        _ => return Err("authUrl is not an http(s) URL"),
    }
    if auth_url.host_str().is_none_or(str::is_empty)
        || !auth_url.username().is_empty()
        || auth_url.password().is_some()
    {
        return Err("authUrl has no host or carries credentials");
    }
    Ok(auth_url)
}

pub(super) fn parse_initialize(response: &HttpResponse) -> Result<InitializeResponse, Error> {
    let parsed: InitializeResponse = parse_json(RequestKind::Initialize, response)?;
    let malformed = |detail: &str| Error::MalformedResponse {
        endpoint: RequestKind::Initialize.endpoint(),
        detail: detail.to_owned(),
    };
    check_auth_url(&parsed.auth_url).map_err(malformed)?;
    if parsed.session_id.trim().is_empty() {
        return Err(malformed("sessionId is empty"));
    }
    Ok(parsed)
}

/// The status answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StatusResponse {
    /// `InProgress`, `Succeeded`, `Failed`, `NotApplicable` or `Cancelled`.
    pub state: String,
    /// The code, with `Succeeded` (a credential: redacted in `Debug`).
    #[serde(default)]
    pub code: Option<Secret>,
}

impl StatusResponse {
    pub(super) fn parse(response: &HttpResponse) -> Result<Self, Error> {
        parse_json(RequestKind::Status, response)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokensBody {
    #[serde(default)]
    success: Option<bool>,
    session: SessionBody,
    login: LoginBody,
    #[serde(default)]
    provider_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionBody {
    expires: String,
    access_token: Secret,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginBody {
    #[serde(default)]
    provider_id: Option<String>,
    expires: String,
    login_token: Secret,
    #[serde(default)]
    supports_unattended: bool,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    subject_id: Option<String>,
}

/// The tokens an exchange issued; how the code arrived is the flow's to add.
#[derive(Debug)]
pub(crate) struct IssuedTokens(SupervisedTokens);

impl IssuedTokens {
    /// The login's result, completed by a code that arrived `via`.
    pub(super) fn completed_via(self, via: CodeSource) -> SupervisedTokens {
        SupervisedTokens {
            completed_via: via,
            ..self.0
        }
    }
}

/// Reads the exchange answer, with the session token's expiry from `X-Access-Token-Expires` if
/// the response carries one.
pub(super) fn parse_tokens(response: &HttpResponse) -> Result<IssuedTokens, Error> {
    parse_tokens_of(RequestKind::Exchange, response)
}

/// Reads a `/v1/authentication/tokens`-shaped answer of `kind` (the exchange, or an unattended
/// login, which answers the same).
pub(super) fn parse_tokens_of(
    kind: RequestKind,
    response: &HttpResponse,
) -> Result<IssuedTokens, Error> {
    let body: TokensBody = parse_json(kind, response)?;
    let malformed = |detail: String| Error::MalformedResponse {
        endpoint: kind.endpoint(),
        detail,
    };
    if body.success == Some(false) {
        return Err(malformed("success is false".into()));
    }
    let timestamp = |field: &str, text: &str| {
        Timestamp::parse_rfc3339(text)
            .map_err(|_| malformed(format!("{field} is not an ISO 8601 timestamp")))
    };
    let session_expires = timestamp("session.expires", &body.session.expires)?;
    let login_expires = timestamp("login.expires", &body.login.expires)?;
    if body.session.access_token.is_empty() || body.login.login_token.is_empty() {
        return Err(malformed("a token is empty".into()));
    }
    let provider_id = body
        .provider_id
        .or_else(|| body.login.provider_id.clone())
        .unwrap_or_default();
    let tokens = SupervisedTokens {
        session: AccessSession::new(body.session.access_token, session_expires),
        login: LoginToken {
            token: body.login.login_token,
            expires: login_expires,
            provider_id: body
                .login
                .provider_id
                .unwrap_or_else(|| provider_id.clone()),
            supports_unattended: body.login.supports_unattended,
            label: body.login.label,
            subject_id: body.login.subject_id,
        },
        provider_id,
        // Replaced by `IssuedTokens::completed_via`, the only way out.
        completed_via: CodeSource::Redirect,
    };
    if let Some(value) = response.header(&EXPIRY_HEADER.to_ascii_lowercase()) {
        let _ = tokens.session.apply_expiry_header(value);
    }
    Ok(IssuedTokens(tokens))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    fn body(request: &HttpRequest) -> serde_json::Value {
        serde_json::from_str(request.body.as_ref().unwrap().1.expose()).unwrap()
    }

    fn names(request: &HttpRequest) -> Vec<&'static str> {
        request.headers.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn relay_mode_sends_no_partner_credentials_and_no_user_hash() {
        let relay = ClientConfig::relay("https://relay.example.com", |_| Ok(Secret::new("t")))
            .validate()
            .unwrap();
        let init = initialize(&relay, "", "https://app.example.com/cb");
        assert_eq!(
            body(&init),
            serde_json::json!({ "redirectUrl": "https://app.example.com/cb" })
        );
        let exchange = exchange(&relay, &Secret::new("c0de"), "handle-1");
        assert_eq!(
            body(&exchange),
            serde_json::json!({ "code": "c0de", "sessionId": "handle-1" })
        );
        for request in [
            &init,
            &exchange,
            &status(&relay, "handle-1", Duration::ZERO),
        ] {
            assert_eq!(names(request), ["accept"]);
        }
    }

    #[test]
    fn partner_mode_is_unchanged() {
        let partner = ClientConfig::new("https://api.example.com", "id", "secret")
            .validate()
            .unwrap();
        let init = initialize(&partner, "test-user-id", "https://app.example.com/cb");
        assert_eq!(body(&init)["userHash"], "test-user-id");
        let exchange = exchange(&partner, &Secret::new("c0de"), "sid");
        assert_eq!(body(&exchange), serde_json::json!({ "code": "c0de" }));
        assert_eq!(
            names(&exchange),
            ["x-client-id", "x-client-secret", "accept"]
        );
    }
}
