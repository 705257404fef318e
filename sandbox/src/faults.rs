//! Fault injection: what can go wrong on the wire, queued per endpoint.
//!
//! A client's retry, backoff and error-classification logic can only be tested against a server
//! that misbehaves on demand. Tests queue faults per [`Endpoint`]; each request to that endpoint
//! pops one (FIFO) before anything else happens, so "the first two status calls fail with 503,
//! the third succeeds" is two `inject_fault` calls. How a popped fault is acted upon lives in
//! `guard.rs`; `DropConnection` needs the connection plumbing in `server.rs`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::respond;

/// A provider endpoint that can be fault-injected and is counted in [`crate::Stats`].
///
/// Non-exhaustive: later flows add variants.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /v1/authentication/initialize`
    Initialize,
    /// `GET /v1/authentication/{sessionId}/status`
    Status,
    /// `POST /v1/authentication/tokens`
    Tokens,
    /// `GET /v1/authentication/start` (the hosted login page)
    AuthPage,
    /// `POST /v1/authentication/start/decision` (the page's Approve/Cancel/Reject forms)
    AuthDecision,
    /// `GET /v1/accounts`
    Accounts,
    /// `GET /v1/oauth/connect` (Aiia Data connect flow: the `302` to the consent page)
    OAuthConnect,
    /// `GET /v1/oauth/connect/consent` (the hosted Aiia consent page)
    OAuthConsent,
    /// `POST /v1/oauth/connect/decision` (the consent page's Approve/Cancel forms)
    OAuthDecision,
    /// `POST /v1/oauth/token` (Aiia: code and refresh-token grants, Basic auth, JSON body)
    OAuthToken,
    /// `GET /oidc/.well-known/openid-configuration`
    Discovery,
    /// `GET /oidc/jwks` (the `jwks_uri`)
    Jwks,
    /// `GET /oidc/authorize` (the hosted OIDC login/consent page)
    OidcAuthorize,
    /// `POST /oidc/authorize/decision` (that page's Approve/Cancel forms)
    OidcDecision,
    /// `POST /oidc/token` and its alias `POST /connect/token` (form-encoded grants)
    OidcToken,
    /// `GET /oidc/userinfo`
    Userinfo,
}

impl Endpoint {
    /// Every endpoint, for listings and parsing.
    pub const ALL: &'static [Endpoint] = &[
        Endpoint::Initialize,
        Endpoint::Status,
        Endpoint::Tokens,
        Endpoint::AuthPage,
        Endpoint::AuthDecision,
        Endpoint::Accounts,
        Endpoint::OAuthConnect,
        Endpoint::OAuthConsent,
        Endpoint::OAuthDecision,
        Endpoint::OAuthToken,
        Endpoint::Discovery,
        Endpoint::Jwks,
        Endpoint::OidcAuthorize,
        Endpoint::OidcDecision,
        Endpoint::OidcToken,
        Endpoint::Userinfo,
    ];

    /// The name used by the `/_sandbox/faults` control API (`"status"`, `"auth_page"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Initialize => "initialize",
            Endpoint::Status => "status",
            Endpoint::Tokens => "tokens",
            Endpoint::AuthPage => "auth_page",
            Endpoint::AuthDecision => "auth_decision",
            Endpoint::Accounts => "accounts",
            Endpoint::OAuthConnect => "oauth_connect",
            Endpoint::OAuthConsent => "oauth_consent",
            Endpoint::OAuthDecision => "oauth_decision",
            Endpoint::OAuthToken => "oauth_token",
            Endpoint::Discovery => "discovery",
            Endpoint::Jwks => "jwks",
            Endpoint::OidcAuthorize => "oidc_authorize",
            Endpoint::OidcDecision => "oidc_decision",
            Endpoint::OidcToken => "oidc_token",
            Endpoint::Userinfo => "userinfo",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown endpoint name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEndpoint(pub String);

impl fmt::Display for UnknownEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Endpoint::ALL.iter().map(|e| e.as_str()).collect();
        write!(
            f,
            "unknown endpoint '{}' (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownEndpoint {}

impl FromStr for Endpoint {
    type Err = UnknownEndpoint;

    /// Accepts the snake_case names of [`Endpoint::as_str`], camelCase, kebab-case, and the short
    /// aliases `page`/`decision`/`token` (supervised login), `connect`, `consent`,
    /// `openid_configuration`, `authorize`, `connect_token` (the Aritma path) and `oidc_userinfo`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        Ok(match normalized.as_str() {
            "initialize" => Endpoint::Initialize,
            "status" => Endpoint::Status,
            "tokens" | "token" => Endpoint::Tokens,
            "authpage" | "page" | "start" => Endpoint::AuthPage,
            "authdecision" | "decision" => Endpoint::AuthDecision,
            "accounts" => Endpoint::Accounts,
            "oauthconnect" | "connect" => Endpoint::OAuthConnect,
            "oauthconsent" | "consent" => Endpoint::OAuthConsent,
            "oauthdecision" => Endpoint::OAuthDecision,
            "oauthtoken" => Endpoint::OAuthToken,
            "discovery" | "openidconfiguration" => Endpoint::Discovery,
            "jwks" => Endpoint::Jwks,
            "oidcauthorize" | "authorize" => Endpoint::OidcAuthorize,
            "oidcdecision" => Endpoint::OidcDecision,
            "oidctoken" | "connecttoken" => Endpoint::OidcToken,
            "userinfo" | "oidcuserinfo" => Endpoint::Userinfo,
            _ => return Err(UnknownEndpoint(s.to_owned())),
        })
    }
}

/// One misbehaviour for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Respond with this status (meant for 5xx, any works) and a JSON `{"error": ...}` body;
    /// the request is not processed.
    ServerError(u16),
    /// `429 Too Many Requests` with `Retry-After: N`; the request is not processed.
    TooManyRequests {
        /// The `Retry-After` header value, in seconds.
        retry_after_secs: u64,
    },
    /// Sleep, then process the request normally.
    Delay(Duration),
    /// `200` with `Content-Type: application/json` and a truncated, invalid JSON body; the
    /// request is not processed.
    MalformedJson,
    /// Close the TCP connection without writing any HTTP response; the request is not processed.
    DropConnection,
}

/// Per-endpoint FIFO queues of pending faults.
#[derive(Debug, Default)]
pub(crate) struct FaultQueues {
    queues: Mutex<HashMap<Endpoint, VecDeque<Fault>>>,
}

impl FaultQueues {
    pub fn push(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        let mut queues = self.queues.lock().unwrap();
        let queue = queues.entry(endpoint).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    pub fn pop(&self, endpoint: Endpoint) -> Option<Fault> {
        self.queues
            .lock()
            .unwrap()
            .get_mut(&endpoint)
            .and_then(VecDeque::pop_front)
    }

    pub fn clear(&self) {
        self.queues.lock().unwrap().clear();
    }

    /// How many faults are still queued, per endpoint (for the control API).
    pub fn pending(&self) -> Vec<(Endpoint, usize)> {
        let queues = self.queues.lock().unwrap();
        Endpoint::ALL
            .iter()
            .filter_map(|e| queues.get(e).map(|q| (*e, q.len())))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// The response for a fault that answers instead of processing (`ServerError`, `TooManyRequests`,
/// `MalformedJson`). `Delay` and `DropConnection` are handled by the caller.
pub(crate) fn canned_response(fault: &Fault, endpoint: Endpoint) -> Response {
    match fault {
        Fault::ServerError(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let name: String = status
                .canonical_reason()
                .unwrap_or("Server Error")
                .split_whitespace()
                .collect();
            respond::error(status, &name)
        }
        Fault::TooManyRequests { retry_after_secs } => {
            let mut response = respond::error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            response
        }
        Fault::MalformedJson => {
            // A plausible response cut off mid-way, so a client that only sniffs the start of the
            // body (or trusts the Content-Type) is caught.
            let body = match endpoint {
                Endpoint::Initialize => r#"{"authUrl":"http://127.0.0.1/v1/authentication/sta"#,
                Endpoint::Status => r#"{"state":"Succeeded","code":"qgAA++//"#,
                Endpoint::Tokens => r#"{"success":true,"session":{"expires":"2019-01-23T"#,
                Endpoint::OAuthToken | Endpoint::OidcToken => {
                    r#"{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VySWQiOi"#
                }
                Endpoint::Discovery => {
                    r#"{"issuer":"http://127.0.0.1/oidc","authorization_endpoint":"http://127"#
                }
                Endpoint::Jwks => r#"{"keys":[{"kty":"oct","kid":"sandbox-hs2"#,
                _ => r#"{"error":"#,
            };
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body,
            )
                .into_response()
        }
        Fault::Delay(_) | Fault::DropConnection => {
            respond::error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_round_trip() {
        for e in Endpoint::ALL {
            assert_eq!(e.as_str().parse::<Endpoint>().unwrap(), *e);
        }
        assert_eq!("authPage".parse::<Endpoint>().unwrap(), Endpoint::AuthPage);
        assert_eq!(
            "oauthToken".parse::<Endpoint>().unwrap(),
            Endpoint::OAuthToken
        );
        assert_eq!(
            "connect-token".parse::<Endpoint>().unwrap(),
            Endpoint::OidcToken
        );
        assert_eq!("token".parse::<Endpoint>().unwrap(), Endpoint::Tokens);
        assert!("nope".parse::<Endpoint>().is_err());
    }

    #[test]
    fn queues_are_fifo_per_endpoint() {
        let q = FaultQueues::default();
        q.push(Endpoint::Status, Fault::ServerError(503), 2);
        q.push(Endpoint::Status, Fault::MalformedJson, 1);
        assert_eq!(q.pop(Endpoint::Tokens), None);
        assert_eq!(q.pending(), vec![(Endpoint::Status, 3)]);
        assert_eq!(q.pop(Endpoint::Status), Some(Fault::ServerError(503)));
        assert_eq!(q.pop(Endpoint::Status), Some(Fault::ServerError(503)));
        assert_eq!(q.pop(Endpoint::Status), Some(Fault::MalformedJson));
        assert_eq!(q.pop(Endpoint::Status), None);
    }
}
