//! OAuth 2.0 error answers (RFC 6749 §5.2) for the token endpoints, and the no-cache headers
//! every token response carries (§5.1).
//!
//! The supervised-login API speaks `{"error":"InvalidCode","message":...}` (see `http/respond.rs`);
//! the OAuth endpoints speak `{"error":"invalid_grant","error_description":...}`. Keeping the two
//! shapes apart is the point: a client must parse each provider's own errors. A bad client gets
//! exactly `401 {"error":"invalid_client"}` (no description), with `WWW-Authenticate: Basic`
//! when it tried the `Authorization` header, as §5.2 requires.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::http::respond;
use crate::model::oauth_store::InvalidGrant;

/// An OAuth error answer from a token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthError {
    pub status: StatusCode,
    /// The RFC 6749 error code (`invalid_grant`, ...).
    pub error: &'static str,
    pub description: Option<String>,
    /// Adds `WWW-Authenticate: Basic realm="..."` (a failed Basic client authentication).
    pub basic_challenge: bool,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: Some(description.into()),
            basic_challenge: false,
        }
    }

    /// `401 {"error":"invalid_client"}`; `basic` adds the `WWW-Authenticate` challenge.
    pub fn invalid_client(basic: bool) -> Self {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: None,
            basic_challenge: basic,
        }
    }

    /// `400 invalid_request`: a missing, repeated or malformed parameter.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// `400 invalid_grant`: a bad, used, expired or mismatched code or refresh token.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// `400 invalid_scope`.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// `400 unsupported_grant_type`.
    pub fn unsupported_grant_type(grant_type: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type '{grant_type}' is not supported here"),
        )
    }

    /// `400 unauthorized_client`: the client may not use this grant type.
    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    /// `415` with an `invalid_request` body: the body is not of the required media type.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            format!("Content-Type must be {expected}"),
        )
    }
}

impl From<InvalidGrant> for OAuthError {
    /// A code or refresh token the OAuth store refused: `400 invalid_grant`.
    fn from(InvalidGrant(description): InvalidGrant) -> Self {
        OAuthError::invalid_grant(description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = match &self.description {
            Some(d) => json!({ "error": self.error, "error_description": d }),
            None => json!({ "error": self.error }),
        };
        let mut response = no_store(respond::json(self.status, &body));
        if self.basic_challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"obauth-sandbox\""),
            );
        }
        response
    }
}

/// Adds `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub(crate) fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A `200` token response with the no-cache headers.
pub(crate) fn token_response(body: &impl Serialize) -> Response {
    no_store(respond::json(StatusCode::OK, body))
}
