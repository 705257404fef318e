//! Response and request-body helpers shared by every endpoint module.
//!
//! Keeping the error shapes in one place keeps them identical everywhere: the provider answers
//! `{"error":"Unauthorized"}` (exactly that) for bad partner credentials,
//! `{"error":"...","message":"..."}` for bad input, and — where the provider documents it (the
//! unattended login, a malformed `X-Correlation-Id`) — its detailed shape
//! `{"error":"InvalidInput","details":{"reason":"…","validationErrors":{"Field":["…"]}}}`
//! ([`ApiError::invalid_fields`]) or `{"error":"…","details":{"reason":"…"}}`
//! ([`ApiError::with_reason`]). Request bodies are read as raw bytes and
//! parsed here, so malformed input becomes a precise `400` rather than a framework rejection.
//! The `302` back to an app (supervised login and the OAuth flows alike) is built here too.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::pages::bank;

/// A JSON response.
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `{"error": "<error>"}`.
pub fn error(status: StatusCode, error: &str) -> Response {
    json(status, &json!({ "error": error }))
}

/// A JSON error answer: `{"error": "<error>"}` or `{"error": "<error>", "message": "<message>"}`.
///
/// Handlers return `Result<Response, ApiError>` so `?` turns bad input into the right `4xx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: &'static str,
    pub message: Option<String>,
    /// The provider's detailed shape: `details.reason` and `details.validationErrors`.
    pub details: Option<(String, Vec<(String, String)>)>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str) -> ApiError {
        ApiError {
            status,
            error,
            message: None,
            details: None,
        }
    }

    pub fn with_message(
        status: StatusCode,
        error: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            error,
            message: Some(message.into()),
            details: None,
        }
    }

    /// `400 {"error":"InvalidInput","details":{"reason":…,"validationErrors":{field:[message]}}}`.
    pub fn invalid_fields(reason: &str, fields: &[(&str, &str)]) -> ApiError {
        ApiError {
            details: Some((
                reason.to_owned(),
                fields
                    .iter()
                    .map(|(f, m)| ((*f).to_owned(), (*m).to_owned()))
                    .collect(),
            )),
            ..ApiError::new(StatusCode::BAD_REQUEST, "InvalidInput")
        }
    }

    /// `{"error":<error>,"details":{"reason":<reason>}}`.
    pub fn with_reason(status: StatusCode, error: &'static str, reason: &str) -> ApiError {
        ApiError {
            details: Some((reason.to_owned(), Vec::new())),
            ..ApiError::new(status, error)
        }
    }

    /// `400 {"error":"InvalidRequest","message":...}`.
    pub fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::with_message(StatusCode::BAD_REQUEST, "InvalidRequest", message)
    }

    /// `401 {"error":"Unauthorized"}`, exactly as the provider documents it.
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized")
    }

    /// `404 {"error":"NotFound"}`.
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "NotFound")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some((reason, fields)) = self.details {
            let mut details = json!({ "reason": reason });
            if !fields.is_empty() {
                let mut errors = Map::new();
                for (field, message) in fields {
                    errors.insert(field, json!([message]));
                }
                details["validationErrors"] = Value::Object(errors);
            }
            return json(
                self.status,
                &json!({ "error": self.error, "details": details }),
            );
        }
        match self.message {
            Some(message) => json(
                self.status,
                &json!({ "error": self.error, "message": message }),
            ),
            None => error(self.status, self.error),
        }
    }
}

/// An HTML response.
pub fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A `302 Found` to `location`, with a small HTML body (under `brand`) for clients that show it.
pub fn found(brand: &str, location: &str) -> Response {
    let mut response = html(StatusCode::FOUND, bank::redirecting(brand, location));
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        // `location` is built from a parsed URL and percent-encoded values; cannot happen.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Whether the `Content-Type` is `mime` (parameters such as `charset` ignored).
pub fn content_type_is(headers: &HeaderMap, mime: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(mime))
}

/// The JSON object of a provider API request body: declared as JSON (else `415`, as the provider,
/// an ASP.NET service, answers; this catches clients that forget the `Content-Type` header before
/// they meet production) and a JSON object (else `400`).
pub fn json_request(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if !content_type_is(headers, "application/json") {
        return Err(ApiError::with_message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "Content-Type must be application/json",
        ));
    }
    json_object(body)
}

/// Parses a body that must be a JSON object.
pub fn json_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::invalid_request(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// A required string field of a JSON object.
pub fn string_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a str, ApiError> {
    match obj.get(name) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(ApiError::invalid_request(format!("{name} is required"))),
        Some(_) => Err(ApiError::invalid_request(format!(
            "{name} must be a string"
        ))),
    }
}

/// An optional non-negative integer field of a JSON object.
pub fn opt_u64_field(obj: &Map<String, Value>, name: &str) -> Result<Option<u64>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            ApiError::invalid_request(format!("{name} must be a non-negative integer"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_matching_ignores_parameters() {
        let mut h = HeaderMap::new();
        assert!(!content_type_is(&h, "application/json"));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(content_type_is(&h, "application/json"));
        assert!(!content_type_is(&h, "application/x-www-form-urlencoded"));
    }
}
