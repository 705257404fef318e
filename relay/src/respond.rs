//! The relay's own answers: `{"error":"Code"}` JSON bodies (plus a `message` for invalid
//! requests), the `WWW-Authenticate` challenge and `Retry-After`.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// The relay's error codes (the provider's own answers pass through unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    InvalidAppToken,
    Forbidden,
    RedirectUrlNotAllowed,
    InvalidRequest,
    UnsupportedGrantType,
    PayloadTooLarge,
    TooManyRequests,
    UpstreamUnauthorized,
    UpstreamUnavailable,
    UpstreamTimeout,
    BadUpstreamAnswer,
    Timeout,
    NotFound,
    MethodNotAllowed,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidAppToken => "InvalidAppToken",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::RedirectUrlNotAllowed => "RedirectUrlNotAllowed",
            ErrorCode::InvalidRequest => "InvalidRequest",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::PayloadTooLarge => "PayloadTooLarge",
            ErrorCode::TooManyRequests => "TooManyRequests",
            ErrorCode::UpstreamUnauthorized => "UpstreamUnauthorized",
            ErrorCode::UpstreamUnavailable => "UpstreamUnavailable",
            ErrorCode::UpstreamTimeout => "UpstreamTimeout",
            ErrorCode::BadUpstreamAnswer => "BadUpstreamAnswer",
            ErrorCode::Timeout => "Timeout",
            ErrorCode::NotFound => "NotFound",
            ErrorCode::MethodNotAllowed => "MethodNotAllowed",
            ErrorCode::Internal => "Internal",
        }
    }
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `{"error":"Code"}`.
pub(crate) fn error(status: StatusCode, code: ErrorCode) -> Response {
    json(status, &serde_json::json!({ "error": code.as_str() }))
}

/// `401 {"error":"InvalidAppToken"}` with `WWW-Authenticate: Bearer error="invalid_token"`.
pub(crate) fn invalid_app_token() -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidAppToken);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// `429 {"error":"TooManyRequests"}` with `Retry-After` in whole seconds (at least 1).
pub(crate) fn too_many_requests(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    response
}

/// A note for the access log line (a fixed reason, never a value from the request).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogNote(pub &'static str);

/// A request the relay answers itself with `{"error":…}`: the error side of the handlers.
#[derive(Debug)]
pub(crate) struct Refusal {
    status: StatusCode,
    code: ErrorCode,
    message: Option<String>,
    note: Option<&'static str>,
}

impl Refusal {
    pub fn new(status: StatusCode, code: ErrorCode) -> Self {
        Refusal {
            status,
            code,
            message: None,
            note: None,
        }
    }

    /// `400 InvalidRequest` with a message naming a field (never a value).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Refusal {
            message: Some(message.into()),
            ..Refusal::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest)
        }
    }

    /// `403 Forbidden`, with the reason for the log.
    pub fn forbidden(note: &'static str) -> Self {
        Refusal::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden).note(note)
    }

    /// Adds a reason for the access log.
    pub fn note(mut self, note: &'static str) -> Self {
        self.note = Some(note);
        self
    }
}

impl axum::response::IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = match self.message {
            Some(message) => json(
                self.status,
                &serde_json::json!({ "error": self.code.as_str(), "message": message }),
            ),
            None => error(self.status, self.code),
        };
        if let Some(note) = self.note {
            response.extensions_mut().insert(LogNote(note));
        }
        response
    }
}
